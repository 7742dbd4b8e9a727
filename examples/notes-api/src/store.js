// Refresh token sessions kahan rahein: REDIS_URL ho to Redis me (app restart ke baad bhi
// bache rehte hain, kai app instances share kar sakte hain), warna process ki memory me.
//
// Dono stores ka ek hi interface hai, to app.js ko farak nahi padta:
//   create(family, username, hash, ttl, maxAge) -> ttl  naya session (login); maxAge = absolute limit
//   rotate(family, oldHash, newHash, ttl) -> { status: "ok" | "raced" | "reused" | "unknown", username, ttl }
//     (ttl: naye token ki umar, absolute limit tak hi: min(ttl, session ke bache seconds))
//   revoke(family)                       session khatam (logout)
//   ping()                               store chal raha hai? (/healthz)
// Redis slow ya band ho to har call StoreUnavailable (503) deta hai, latakti nahi.
import { ErrorReply, createClient } from "redis";

// Kai tabs ek hi cookie se ek saath refresh karein to ek jeetti hai; baaki abhi-abhi badla
// token laati hain. Itne seconds tak wo "raced" hai (jitni baar bhi: 409 koi token nahi deta):
// session bachta hai, client naye cookie se dobara try kare. Baad me wahi token = chori: revoke.
export const RACE_WINDOW = 10;

// Redis ka jawab itne ms me nahi aaya to 503. node-redis ka apna `timeout` option sirf tab
// tak chalta hai jab tak command socket pe likhi nahi gayi; Redis freeze ho (socket khula,
// jawab nahi) to wo kaam nahi aata, isliye yahan Promise.race.
export const REDIS_TIMEOUT_MS = 1000;
// Start pe Redis na mile to itni der tak retry (har baar log), phir saaf error ke saath exit.
export const REDIS_START_WAIT_MS = 5000;

export class StoreUnavailable extends Error {
  status = 503; // app.js ka error handler ise 503 + Retry-After banata hai
}

export function withTimeout(promise, ms = REDIS_TIMEOUT_MS) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new StoreUnavailable(`Redis ne ${ms} ms me jawab nahi diya`)), ms);
  });
  return Promise.race([promise, late])
    .catch((err) => {
      // Redis ne error se jawab diya (jaise NOSCRIPT, jise rate-limit-redis khud sambhalta hai,
      // ya code ki galti): wo "band" hona nahi, waisa hi aage. LOADING/BUSY thodi der ke: 503.
      if (err instanceof ErrorReply && !/^(LOADING|BUSY)\b/.test(err.message)) throw err;
      throw err instanceof StoreUnavailable ? err : new StoreUnavailable(`Redis: ${err.message}`, { cause: err });
    })
    .finally(() => clearTimeout(timer));
}

// Memory store ki safai: har create/rotate pe sabse purane (kam se kam) itne sessions dekho,
// saare sessions nahi. Map ka order = aakhri create/rotate ka order.
const SWEEP = 10;

export function createMemoryStore(now = Date.now) {
  const sessions = new Map(); // family -> { username, hash, expiresAt, endsAt, previous, raceUntil }
  const alive = (family) => {
    const session = sessions.get(family);
    if (session && session.expiresAt > now()) return session;
    sessions.delete(family);
    return undefined;
  };
  // Aage wale expired sessions hatao, pehla zinda mile to ruko: har call thoda hi kaam.
  // (Absolute limit ke paas wala session kabhi peeche se pehle expire hota hai; wo tab
  // hatega jab aage wale hatenge, ya use karne pe.)
  const sweep = () => {
    let looked = 0;
    for (const [family, session] of sessions) {
      if (looked++ >= SWEEP || session.expiresAt > now()) break;
      sessions.delete(family);
    }
  };
  const touch = (family, session) => {
    sessions.delete(family); // naye sire se daalo: Map ke end pe, order bana rahe
    sessions.set(family, session);
    sweep();
  };
  return {
    get size() {
      return sessions.size;
    },
    async create(family, username, hash, ttl, maxAge) {
      const first = Math.min(ttl, maxAge);
      touch(family, { username, hash, endsAt: now() + maxAge * 1000, expiresAt: now() + first * 1000 });
      return first;
    },
    async rotate(family, oldHash, newHash, ttl) {
      const session = alive(family);
      if (!session) return { status: "unknown" };
      if (session.hash !== oldHash) {
        if (oldHash === session.previous && now() < session.raceUntil) return { status: "raced" };
        sessions.delete(family); // purana token dobara aaya: poora session band
        return { status: "reused" };
      }
      const left = Math.floor((session.endsAt - now()) / 1000);
      if (left <= 0) {
        sessions.delete(family); // absolute limit poori: dobara login
        return { status: "unknown" };
      }
      const next = Math.min(ttl, left);
      Object.assign(session, {
        hash: newHash, previous: oldHash, raceUntil: now() + RACE_WINDOW * 1000, expiresAt: now() + next * 1000,
      });
      touch(family, session);
      return { status: "ok", username: session.username, ttl: next };
    },
    async revoke(family) {
      sessions.delete(family);
    },
    async ping() {},
    async close() {},
  };
}

// --8<-- [start:redis-client]
// REDIS_URL jaise "redis://localhost:6379" se connect karo.
export async function connectRedis(url, waitMs = REDIS_START_WAIT_MS) {
  const giveUpAt = Date.now() + waitMs;
  let ready = false;
  const client = createClient({
    url,
    disableOfflineQueue: true, // Redis band ho to command turant fail (503), request latki na rahe
    socket: {
      connectTimeout: REDIS_TIMEOUT_MS,
      // Start pe: thodi der retry, phir haar (server.js exit karta hai). Chalte hue toota to
      // hamesha retry (max 1 s ruk ke): Redis wapas aate hi app bina restart ke chal padti hai.
      reconnectStrategy: (retries, cause) => (!ready && Date.now() > giveUpAt ? cause : Math.min(100 * 2 ** retries, 1000)),
    },
  });
  // "error" listener zaroori hai: bina iske Redis ka ek error poora process crash kar deta hai.
  client.on("error", (err) => console.error("Redis error:", err.message));
  client.on("ready", () => (ready = true));
  // Redis atka ho (socket khula, jawab nahi) to connect() khud kabhi nahi lautata: deadline.
  await withTimeout(client.connect(), waitMs + REDIS_TIMEOUT_MS).catch((err) => {
    client.destroy();
    throw new Error(`Redis at REDIS_URL not reachable: ${err.cause?.message ?? err.message}`);
  });
  return client;
}
// --8<-- [end:redis-client]

// --8<-- [start:rotate]
// Check aur badlav ek hi step me (Lua script Redis ke andar atomically chalti hai):
// do requests ek hi purane token se ek saath aayein to bhi sirf ek jeetegi (doosri "raced").
const ROTATE = `
local current = redis.call('HGET', KEYS[1], 'hash')
if not current then return {'unknown'} end
if current ~= ARGV[1] then
  local previous = redis.call('HGET', KEYS[1], 'previous')
  if previous == ARGV[1] and tonumber(ARGV[4]) < tonumber(redis.call('HGET', KEYS[1], 'raceUntil')) then
    return {'raced'}
  end
  redis.call('DEL', KEYS[1])
  return {'reused'}
end
local left = math.floor((tonumber(redis.call('HGET', KEYS[1], 'endsAt') or '0') - tonumber(ARGV[4])) / 1000)
if left <= 0 then
  redis.call('DEL', KEYS[1])
  return {'unknown'}
end
local ttl = math.min(tonumber(ARGV[3]), left)
redis.call('HSET', KEYS[1], 'hash', ARGV[2], 'previous', ARGV[1], 'raceUntil', ARGV[5])
redis.call('EXPIRE', KEYS[1], ttl)
return {'ok', redis.call('HGET', KEYS[1], 'username'), ttl}`;
// --8<-- [end:rotate]

// Rotate ka jawab timeout ho gaya, par command shayad Redis tak pahunch chuki hai (Redis atka
// tha, baad me chalayega). Client ko naya token mila hi nahi: rotation ho gayi to purana
// token "dobara aaya" lagega aur user logout. Isliye usi connection pe ye undo bhi bhejo:
// Redis commands order me chalata hai, to undo rotate ke baad hi chalega (sirf wahi rotation).
const UNDO_ROTATE = `
if redis.call('HGET', KEYS[1], 'hash') == ARGV[2] then
  redis.call('HSET', KEYS[1], 'hash', ARGV[1])
  redis.call('HDEL', KEYS[1], 'previous')
end`;

export function createRedisStore(client, now = Date.now) {
  const key = (family) => `refresh:${family}`; // ek session = ek Redis hash, TTL ke saath
  return {
    async create(family, username, hash, ttl, maxAge) {
      // MULTI: dono commands ek saath; TTL ke bina key kabhi na bache.
      const endsAt = String(now() + maxAge * 1000); // absolute limit, milliseconds me
      const first = Math.min(ttl, maxAge);
      await withTimeout(client.multi().hSet(key(family), { username, hash, endsAt }).expire(key(family), first).exec());
      return first;
    },
    async rotate(family, oldHash, newHash, ttl) {
      const sent = client.eval(ROTATE, {
        keys: [key(family)],
        arguments: [oldHash, newHash, String(ttl), String(now()), String(now() + RACE_WINDOW * 1000)],
      });
      try {
        const [status, username, left] = await withTimeout(sent);
        return { status, username, ttl: left };
      } catch (err) {
        sent.catch(() => {});
        if (client.isReady) client.eval(UNDO_ROTATE, { keys: [key(family)], arguments: [oldHash, newHash] }).catch(() => {});
        throw err;
      }
    },
    async revoke(family) {
      await withTimeout(client.del(key(family)));
    },
    async ping() {
      await withTimeout(client.ping());
    },
    // Rate limiter (rate-limit-redis) ke commands bhi isi timeout ke saath.
    sendCommand: (args) => withTimeout(client.sendCommand(args)),
    async close() {
      await withTimeout(client.close()).catch(() => client.destroy()); // Redis atka ho to bhi band
    },
  };
}

export async function createStore(redisUrl) {
  return redisUrl ? createRedisStore(await connectRedis(redisUrl)) : createMemoryStore();
}
