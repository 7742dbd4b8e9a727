// Entry point (`npm start`): settings padho, store banao, HTTP server chalao.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createApp } from "./app.js";
import { loadConfig } from "./config.js";
import { createStore } from "./store.js";

// --8<-- [start:dirname]
// ES module me __dirname nahi milta; Node 20.11+ me import.meta.dirname isi file ka folder hai.
const packageJson = join(import.meta.dirname, "..", "package.json");
const { name, version } = JSON.parse(readFileSync(packageJson, "utf8"));
// --8<-- [end:dirname]

let config;
try {
  config = loadConfig(process.env);
} catch (err) {
  console.error(`${name}: ${err.message}`);
  process.exit(1);
}

// Top-level await: ES modules me function ke bahar bhi await chalta hai.
// Redis start pe na mile: kuch second retry (har baar log), phir saaf message ke saath exit 1
// (Docker/compose ka restart policy dobara chalayega), na ki bina listen kiye latke rehna.
let store;
try {
  store = await createStore(config.redisUrl);
} catch (err) {
  console.error(`${name}: ${err.message}`);
  process.exit(1);
}
const server = createApp({ config, store }).listen(config.port, config.host, (err) => {
  if (err) throw err; // jaise port pehle se busy (EADDRINUSE)
  const where = config.redisUrl ? "Redis" : "memory";
  console.log(`${name} ${version} on port ${server.address().port} (refresh tokens in ${where})`);
});

// `docker stop` pehle SIGTERM bhejta hai, 10 second baad SIGKILL. Nayi connections band, chalti
// requests poori; idle keep-alive connections turant band (warna Node unke 5 s timeout tak
// rukta), aur jo request abhi chal rahi hai uska connection jawab ke baad idle hote hi band.
function shutdown() {
  server.close(() => store.close());
  server.closeIdleConnections();
  setInterval(() => server.closeIdleConnections(), 50).unref();
  // Koi request atki hi rahe: SIGKILL se pehle khud exit, log ke saath.
  setTimeout(() => {
    console.error(`${name}: requests 8 s me khatam nahi hui, exit`);
    process.exit(1);
  }, 8000).unref();
}
for (const signal of ["SIGTERM", "SIGINT"]) process.once(signal, shutdown);
