'use strict';
// auth.Greeter/SayHello in Node.js: an API gateway authorizer's decision
// for the token in the name (a reply, not an error, for a bad token).
const { serve } = require('./serve');

function policy(effect) {
  return '{principalId:user policyDocument:{Version:2012-10-17 Statement:[{Action:execute-api:Invoke Effect:' +
    effect + ' Resource:*}]} context:{stringKey:stringval numberKey:123 booleanKey:true}}';
}

function decide(token) {
  switch (token) {
    case 'allow':
      return policy('Allow');
    case 'deny':
      return policy('Deny');
    case 'unauthorized':
      return 'Unauthorized';
    default:
      return 'Error: Invalid token';
  }
}

serve('auth.Greeter', {
  SayHello(req) {
    return `fn: Auth | token: ${req.name} | resp: ${decide(req.name)} | runtime: nodejs`;
  },
});
