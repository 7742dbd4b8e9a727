// The whole flow in-process (memory store); tests/test_example.py runs the real server.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createApp } from "../src/app.js";
import { loadConfig } from "../src/config.js";
import { LOGIN_LIMITS } from "../src/limits.js";
import { RACE_WINDOW, StoreUnavailable, createMemoryStore } from "../src/store.js";

const config = loadConfig({ NODE_ENV: "development", DEMO_USER: "asha", DEMO_PASSWORD: "s3cret" }, () => {});
let clock = Date.now(); // the store's clock, moved on by the tests
let server;
let base;

async function listen(store) {
  const started = createApp({ config, store }).listen(0, "127.0.0.1");
  await new Promise((resolve) => started.once("listening", resolve));
  return started;
}

before(async () => {
  server = await listen(createMemoryStore(() => clock));
  base = `http://127.0.0.1:${server.address().port}`;
});
after(() => server.close());

const post = (path, { body, cookie } = {}) =>
  fetch(base + path, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...(cookie && { Cookie: cookie }) },
    body: body && JSON.stringify(body),
  });
const refreshCookie = (res) => res.headers.getSetCookie()[0].split(";")[0];
const login = () => post("/auth/login", { body: { username: "asha", password: "s3cret" } });

test("login: 401 on a wrong password, 400 without both fields as strings", async () => {
  assert.equal((await post("/auth/login", { body: { username: "asha", password: "no" } })).status, 401);
  assert.equal((await post("/auth/login", { body: { username: "asha" } })).status, 400);
  assert.equal((await post("/auth/login", { body: { username: "asha", password: 1 } })).status, 400);
  assert.equal((await post("/auth/login", { body: ["asha", "s3cret"] })).status, 400);
});

test("login sets the refresh cookie HttpOnly, Secure, SameSite=Strict, Path=/auth", async () => {
  const res = await login();
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("cache-control"), "no-store");
  const attributes = res.headers.getSetCookie()[0].split(/; */).map((a) => a.toLowerCase());
  for (const attribute of ["httponly", "secure", "samesite=strict", "path=/auth"]) {
    assert.ok(attributes.includes(attribute), `${attribute} in ${attributes}`);
  }
});

test("/me needs a valid Bearer token", async () => {
  const { accessToken } = await (await login()).json();
  const me = await fetch(`${base}/me`, { headers: { Authorization: `Bearer ${accessToken}` } });
  assert.deepEqual(await me.json(), { user: { username: "asha" } });
  const missing = await fetch(`${base}/me`);
  assert.equal(missing.status, 401);
  assert.equal(missing.headers.get("www-authenticate"), 'Bearer realm="notes-api"');
  const bad = await fetch(`${base}/me`, { headers: { Authorization: `Bearer ${accessToken}x` } });
  assert.equal(bad.status, 401);
  assert.match(bad.headers.get("www-authenticate"), /error="invalid_token"/);
});

test("refresh rotates; a replayed old token revokes the session; logout ends it", async () => {
  const first = refreshCookie(await login());
  const refreshed = await post("/auth/refresh", { cookie: first });
  assert.equal(refreshed.status, 200);
  const second = refreshCookie(refreshed);
  assert.notEqual(second, first);
  // Replayed at once: maybe other tabs (409, no cookie); after the window, a thief (401, revoked).
  assert.equal((await post("/auth/refresh", { cookie: first })).status, 409);
  assert.equal((await post("/auth/refresh", { cookie: first })).status, 409);
  clock += RACE_WINDOW * 1000;
  assert.equal((await post("/auth/refresh", { cookie: first })).status, 401);
  assert.equal((await post("/auth/refresh", { cookie: second })).status, 401); // family revoked

  const third = refreshCookie(await login());
  assert.equal((await post("/auth/logout", { cookie: third })).status, 204);
  assert.equal((await post("/auth/refresh", { cookie: third })).status, 401);
});

test("two refreshes at once with one cookie: one rotates, the other gets 409, nobody is logged out", async () => {
  const cookie = refreshCookie(await login());
  const [a, b] = await Promise.all([post("/auth/refresh", { cookie }), post("/auth/refresh", { cookie })]);
  assert.deepEqual([a.status, b.status].sort(), [200, 409]);
  const loser = a.status === 409 ? a : b;
  assert.deepEqual(loser.headers.getSetCookie(), []); // the winner's new cookie stays
  const winner = refreshCookie(a.status === 200 ? a : b);
  assert.equal((await post("/auth/refresh", { cookie: winner })).status, 200);
});

test("malformed JSON is a 400 that does not echo the body; unknown routes 404, other methods 405", async () => {
  const res = await fetch(`${base}/auth/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: '{"username": "asha", "password": my-secret-password',
  });
  assert.equal(res.status, 400);
  assert.deepEqual(await res.json(), { error: "Bad Request" });
  assert.equal((await fetch(`${base}/nope`)).status, 404);
  // A route with another method: 405 and the methods it has.
  const wrongMethod = await fetch(`${base}/auth/login`);
  assert.equal(wrongMethod.status, 405);
  assert.equal(wrongMethod.headers.get("allow"), "POST");
  assert.equal((await post("/me")).headers.get("allow"), "GET, HEAD");
});

test("wrong passwords from one address: 429 with Retry-After after the limit, the right one too", async () => {
  const own = await listen(createMemoryStore());
  const url = `http://127.0.0.1:${own.address().port}/auth/login`;
  const attempt = (password) =>
    fetch(url, { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username: "asha", password }) });
  try {
    assert.equal((await attempt("s3cret")).status, 200); // successes are not counted
    for (let i = 0; i < LOGIN_LIMITS.address.limit; i++) assert.equal((await attempt(`no-${i}`)).status, 401);
    const limited = await attempt("no-again");
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get("retry-after")) > 0);
    assert.equal((await attempt("s3cret")).status, 429);
  } finally {
    own.close();
  }
});

test("a declared body over the limit is 413 with Connection: close, before it is read", async () => {
  const res = await fetch(`${base}/auth/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "Content-Length": String(64 * 1024) },
    body: "x".repeat(64 * 1024),
  });
  assert.equal(res.status, 413);
  assert.equal(res.headers.get("connection"), "close");
});

test("/healthz: 200 while the store answers, 503 with Retry-After when it does not", async () => {
  assert.deepEqual(await (await fetch(`${base}/healthz`)).json(), { status: "ok" });
  const broken = {
    ...createMemoryStore(),
    async ping() { throw new StoreUnavailable("Redis ne jawab nahi diya"); },
    async create() { throw new StoreUnavailable("Redis ne jawab nahi diya"); },
  };
  const own = await listen(broken);
  try {
    const url = `http://127.0.0.1:${own.address().port}`;
    for (const res of [await fetch(`${url}/healthz`), await fetch(`${url}/auth/login`, {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username: "asha", password: "s3cret" }),
    })]) {
      assert.equal(res.status, 503);
      assert.equal(res.headers.get("retry-after"), "5");
    }
  } finally {
    own.close();
  }
});
