"""aes.Aes/ShowEncryption in Python: AES-128-CTR (zero counter) in pure
Python (pyaes), the key and default plaintext of vSwarm's servers."""
import pyaes

from serve import serve

KEY = bytes.fromhex("6368616e676520746869732070617373")
DEFAULT_PLAINTEXT = "defaultplaintext"


def show_encryption(req):
    pt = req.plaintext_message
    if pt in ("", "world"):
        pt = DEFAULT_PLAINTEXT
    ctr = pyaes.AESModeOfOperationCTR(KEY, counter=pyaes.Counter(initial_value=0))
    ct = ctr.encrypt(pt.encode()).hex()
    return "fn: AES | plaintext: %s | ciphertext: %s | runtime: python" % (pt, ct)


if __name__ == "__main__":
    serve("aes.Aes", {"ShowEncryption": show_encryption})
