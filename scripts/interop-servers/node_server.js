#!/usr/bin/env node
// A WebSocket test server built on the Node `ws` library, for tests/interop.rs.
//
//     node node_server.js [PORT] [--until-stdin-closes] [--deflate MODE]
//
// Listens on 127.0.0.1 (PORT, or a free port when it is 0 or missing) and prints the port alone
// on the first line of stdout once it accepts connections. With --until-stdin-closes it exits
// when its standard input reaches end of file, so that a test runner that dies does not leave
// it behind. Paths:
//
//   /echo      sends every text and binary message back as it came; pings are answered
//   /close     sends the text messages "m1", "m2", "m3", then closes with 4000 "bye"
//   /ping      sends a ping, waits for the matching pong, then sends the text "pong received"
//   /protocol  selects the subprotocol "chat.v2"; a handshake that does not offer it gets 400
//
// permessage-deflate is off (ws's default) unless --deflate turns it on, every message
// compressed (threshold 0):
//   default  ws's own parameters
//   nct12    serverMaxWindowBits 12, serverNoContextTakeover, clientNoContextTakeover
//   cmwb10   serverMaxWindowBits 10, clientMaxWindowBits 10
//
// Messages of up to 64 MiB are accepted. `ws` comes from ./node_modules (scripts/interop.sh
// runs npm install here).
'use strict';

const http = require('http');
const { WebSocketServer } = require('ws');

const MAX_PAYLOAD = 64 * 1024 * 1024;
const PATHS = new Set(['/echo', '/close', '/ping', '/protocol']);
const PING_PAYLOAD = Buffer.from('are you there?');

const pathOf = (request) => new URL(request.url, 'http://127.0.0.1').pathname;

function offeredProtocols(request) {
  const header = request.headers['sec-websocket-protocol'] || '';
  return header
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
}

function reject(socket, status, text) {
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\n` +
      'Content-Type: text/plain\r\n' +
      `Content-Length: ${Buffer.byteLength(text)}\r\n` +
      'Connection: close\r\n\r\n' +
      text,
  );
}

const DEFLATE_MODES = {
  default: { threshold: 0 },
  nct12: {
    serverMaxWindowBits: 12,
    serverNoContextTakeover: true,
    clientNoContextTakeover: true,
    threshold: 0,
  },
  cmwb10: { serverMaxWindowBits: 10, clientMaxWindowBits: 10, threshold: 0 },
};

const args = process.argv.slice(2);
const deflateAt = args.indexOf('--deflate');
const deflate = deflateAt < 0 ? false : DEFLATE_MODES[args.splice(deflateAt, 2)[1]];
if (deflate === undefined) throw new Error(`unknown --deflate mode in ${process.argv}`);

const wss = new WebSocketServer({
  noServer: true,
  maxPayload: MAX_PAYLOAD,
  perMessageDeflate: deflate,
  handleProtocols: (protocols, request) =>
    pathOf(request) === '/protocol' && protocols.has('chat.v2') ? 'chat.v2' : false,
});

wss.on('connection', (ws, request) => {
  switch (pathOf(request)) {
    case '/echo':
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
      break;
    case '/close':
      for (const text of ['m1', 'm2', 'm3']) ws.send(text);
      ws.close(4000, 'bye');
      break;
    case '/ping':
      ws.once('pong', (data) => {
        ws.send(
          data.equals(PING_PAYLOAD) ? 'pong received' : `pong with the wrong payload: ${data}`,
        );
      });
      ws.ping(PING_PAYLOAD);
      break;
    case '/protocol':
      ws.send(`selected ${ws.protocol}`);
      break;
  }
});

const server = http.createServer((request, response) => {
  response.writeHead(426, { 'Content-Type': 'text/plain' });
  response.end('WebSocket only\n');
});

server.on('upgrade', (request, socket, head) => {
  const path = pathOf(request);
  if (!PATHS.has(path)) return reject(socket, 404, 'no such path\n');
  if (path === '/protocol' && !offeredProtocols(request).includes('chat.v2')) {
    return reject(socket, 400, 'offer the subprotocol chat.v2\n');
  }
  wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
});

const untilStdinCloses = args.includes('--until-stdin-closes');
const port = Number(args.find((arg) => arg !== '--until-stdin-closes') || 0);

server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`${server.address().port}\n`);
});

if (untilStdinCloses) {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
}
