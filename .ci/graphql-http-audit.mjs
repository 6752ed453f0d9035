// The graphql-http server audits (https://github.com/graphql/graphql-http) against a running
// cadre-health: every MUST and SHOULD of the GraphQL-over-HTTP specification it can test.
// Prints each audit that is not "ok" and the counts; exits 1 on any error or warning.
//
//   npm install --prefix /tmp/audit graphql-http graphql
//   NODE_PATH=/tmp/audit/node_modules TOKEN=$(cargo run -q -- token --board 40 --role analyst) \
//     node .ci/graphql-http-audit.mjs http://127.0.0.1:8080/graphql
//
// Every request carries the token: the API answers nothing without one.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { serverAudits } = require('graphql-http');

const url = process.argv[2] ?? 'http://127.0.0.1:8080/graphql';
const token = process.env.TOKEN;
const fetchFn = (input, init = {}) => {
  const headers = new Headers(init.headers ?? {});
  if (token) headers.set('authorization', `Bearer ${token}`);
  return fetch(input, { ...init, headers });
};
const counts = {};
for (const audit of serverAudits({ url, fetchFn })) {
  const result = await audit.fn();
  counts[result.status] = (counts[result.status] ?? 0) + 1;
  if (result.status !== 'ok') {
    console.log(`${result.status.toUpperCase()} ${audit.id} ${audit.name}: ${result.reason}`);
  }
}
console.log(JSON.stringify(counts));
process.exit(counts.error || counts.warn ? 1 : 0);
