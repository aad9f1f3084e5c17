// `npm run vendor`: copy the socket.io client of node_modules (the version pinned in
// package.json) to webchat/static/vendor/, which the web server serves: no CDN.
import { copyFileSync } from "node:fs";

const source = new URL("../../node_modules/socket.io-client/dist/socket.io.min.js", import.meta.url);
const target = new URL("../../webchat/static/vendor/socket.io.min.js", import.meta.url);
copyFileSync(source, target);
console.log(`copied ${source.pathname} -> ${target.pathname}`);
