import assert from "node:assert/strict";
import { test } from "node:test";
import { RACE_WINDOW, createMemoryStore } from "../src/store.js";

test("memory store: rotate once, the old hash then revokes the family", async () => {
  let now = 0;
  const store = createMemoryStore(() => now);
  await store.create("fam", "demo", "h1", 60, 3600);
  assert.deepEqual(await store.rotate("fam", "h1", "h2", 60), { status: "ok", username: "demo", ttl: 60 });
  now = RACE_WINDOW * 1000; // past the window for a concurrent refresh
  assert.deepEqual(await store.rotate("fam", "h1", "h3", 60), { status: "reused" });
  // The reuse revoked the session: even the newest token no longer works.
  assert.deepEqual(await store.rotate("fam", "h2", "h4", 60), { status: "unknown" });
});

test("memory store: logout (revoke) and expiry end a session", async () => {
  let now = 0;
  const store = createMemoryStore(() => now);
  await store.create("a", "demo", "h", 60, 3600);
  await store.revoke("a");
  assert.equal((await store.rotate("a", "h", "h2", 60)).status, "unknown");
  await store.create("b", "demo", "h", 60, 3600);
  now = 59_000;
  assert.equal((await store.rotate("b", "h", "h2", 60)).status, "ok"); // sliding: 60 s from now
  now = 118_000;
  assert.equal((await store.rotate("b", "h2", "h3", 60)).status, "ok");
  now = 178_001;
  assert.equal((await store.rotate("b", "h3", "h4", 60)).status, "unknown");
});

test("memory store: the absolute limit ends a session that keeps refreshing", async () => {
  let now = 0;
  const store = createMemoryStore(() => now);
  await store.create("c", "demo", "h", 60, 100); // 60 s idle, 100 s in all
  now = 50_000;
  assert.deepEqual(await store.rotate("c", "h", "h2", 60), { status: "ok", username: "demo", ttl: 50 });
  now = 95_000;
  assert.deepEqual(await store.rotate("c", "h2", "h3", 60), { status: "ok", username: "demo", ttl: 5 });
  now = 100_000;
  assert.deepEqual(await store.rotate("c", "h3", "h4", 60), { status: "unknown" });
});

test("memory store: concurrent refreshes with the old hash are raced, in the window only", async () => {
  let now = 0;
  const store = createMemoryStore(() => now);
  await store.create("d", "demo", "h1", 60, 3600);
  assert.equal((await store.rotate("d", "h1", "h2", 60)).status, "ok");
  now = RACE_WINDOW * 1000 - 1;
  for (let tab = 0; tab < 4; tab++) {
    assert.deepEqual(await store.rotate("d", "h1", `hx${tab}`, 60), { status: "raced" }); // the other tabs
  }
  assert.equal((await store.rotate("d", "h2", "h3", 60)).status, "ok"); // the session lives on
  assert.deepEqual(await store.rotate("d", "h2", "hy", 60), { status: "raced" });
  now += RACE_WINDOW * 1000; // past the window: a replay is theft
  assert.deepEqual(await store.rotate("d", "h2", "hz", 60), { status: "reused" });
  assert.equal((await store.rotate("d", "h3", "h4", 60)).status, "unknown");
});

test("memory store: a login does not look at every session; expired ones still go", async () => {
  let now = 0;
  let reads = 0;
  const store = createMemoryStore(() => (reads++, now));
  for (let i = 0; i < 2000; i++) await store.create(`s${i}`, "demo", "h", 60, 3600);
  reads = 0;
  await store.create("one-more", "demo", "h", 60, 3600);
  assert.ok(reads <= 20, `${reads} clock reads for one login among 2000 sessions`);
  now = 61_000; // all 2001 expired: every login clears a few, never all at once
  for (let i = 0; i < 300; i++) await store.create(`t${i}`, "demo", "h", 60, 3600);
  assert.equal(store.size, 300); // only the live ones
  reads = 0;
  await store.create("last", "demo", "h", 60, 3600);
  assert.ok(reads <= 20, `${reads}`);
});
