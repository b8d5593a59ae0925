"""auth.Greeter/SayHello in Python: an API gateway authorizer's decision for
the token in the name (a reply, not an error, for a bad token)."""
from serve import serve


def policy(effect):
    return ("{principalId:user policyDocument:{Version:2012-10-17 Statement:[{Action:execute-api:Invoke Effect:%s"
            " Resource:*}]} context:{stringKey:stringval numberKey:123 booleanKey:true}}" % effect)


def decide(token):
    if token == "allow":
        return policy("Allow")
    if token == "deny":
        return policy("Deny")
    if token == "unauthorized":
        return "Unauthorized"
    return "Error: Invalid token"


def say_hello(req):
    return "fn: Auth | token: %s | resp: %s | runtime: python" % (req.name, decide(req.name))


if __name__ == "__main__":
    serve("auth.Greeter", {"SayHello": say_hello})
