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
const store = await createStore(config.redisUrl);
const server = createApp({ config, store }).listen(config.port, config.host, (err) => {
  if (err) throw err; // jaise port pehle se busy (EADDRINUSE)
  const where = config.redisUrl ? "Redis" : "memory";
  console.log(`${name} ${version} on port ${server.address().port} (refresh tokens in ${where})`);
});

// `docker stop` pehle SIGTERM bhejta hai: nayi requests band, chalti wali poori, phir exit.
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.once(signal, () => server.close(() => store.close()));
}
