'use strict';
// aes.Aes/ShowEncryption in Node.js: AES-128-CTR (zero counter) in pure
// JavaScript (aes-js), the key and default plaintext of vSwarm's servers.
const aesjs = require('aes-js');
const { flag, serve } = require('./serve');

const key = aesjs.utils.hex.toBytes(flag('key', '6368616e676520746869732070617373'));
const defaultPlaintext = flag('default-plaintext', 'defaultplaintext');

serve('aes.Aes', {
  ShowEncryption(req) {
    let pt = req.plaintext_message;
    if (pt === '' || pt === 'world') {
      pt = defaultPlaintext;
    }
    const ctr = new aesjs.ModeOfOperation.ctr(key, new aesjs.Counter(0));
    const ct = aesjs.utils.hex.fromBytes(ctr.encrypt(aesjs.utils.utf8.toBytes(pt)));
    return `fn: AES | plaintext: ${pt} | ciphertext: ${ct} | runtime: nodejs`;
  },
});
