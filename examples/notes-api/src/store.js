// Refresh token sessions kahan rahein: REDIS_URL ho to Redis me (app restart ke baad bhi
// bache rehte hain, kai app instances share kar sakte hain), warna process ki memory me.
//
// Dono stores ka ek hi interface hai, to app.js ko farak nahi padta:
//   create(family, username, hash, ttl, maxAge) -> ttl  naya session (login); maxAge = absolute limit
//   rotate(family, oldHash, newHash, ttl) -> { status: "ok" | "raced" | "reused" | "unknown", username, ttl }
//     (ttl: naye token ki umar, absolute limit tak hi: min(ttl, session ke bache seconds))
//   revoke(family)                       session khatam (logout)
import { createClient } from "redis";

// Do tabs ek hi cookie se ek saath refresh karein to ek jeetti hai; doosri abhi-abhi badla
// token laati hai. Itne seconds tak wo "raced" hai (ek hi baar): session bachta hai, client
// naye cookie se dobara try kare. Baad me, ya dobara, wahi token = chori: session revoke.
export const RACE_WINDOW = 10;

export function createMemoryStore(now = Date.now) {
  const sessions = new Map(); // family -> { username, hash, expiresAt, endsAt, previous, raceUntil }
  const alive = (family) => {
    const session = sessions.get(family);
    if (session && session.expiresAt > now()) return session;
    sessions.delete(family);
    return undefined;
  };
  return {
    async create(family, username, hash, ttl, maxAge) {
      for (const key of sessions.keys()) alive(key); // purane expired sessions saaf
      const first = Math.min(ttl, maxAge);
      sessions.set(family, { username, hash, endsAt: now() + maxAge * 1000, expiresAt: now() + first * 1000 });
      return first;
    },
    async rotate(family, oldHash, newHash, ttl) {
      const session = alive(family);
      if (!session) return { status: "unknown" };
      if (session.hash !== oldHash) {
        if (oldHash === session.previous && now() < session.raceUntil) {
          session.previous = undefined;
          return { status: "raced" };
        }
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
      return { status: "ok", username: session.username, ttl: next };
    },
    async revoke(family) {
      sessions.delete(family);
    },
    async close() {},
  };
}

// --8<-- [start:redis-client]
// REDIS_URL jaise "redis://localhost:6379" se connect karo.
export async function connectRedis(url) {
  // disableOfflineQueue: Redis band ho to command turant fail (500), request latki na rahe.
  const client = createClient({ url, disableOfflineQueue: true });
  // "error" listener zaroori hai: bina iske Redis ka ek error poora process crash kar deta hai.
  // Connection tootne pe client khud reconnect karta hai.
  client.on("error", (err) => console.error("Redis error:", err.message));
  await client.connect();
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
    redis.call('HDEL', KEYS[1], 'previous')
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

export function createRedisStore(client, now = Date.now) {
  const key = (family) => `refresh:${family}`; // ek session = ek Redis hash, TTL ke saath
  return {
    async create(family, username, hash, ttl, maxAge) {
      // MULTI: dono commands ek saath; TTL ke bina key kabhi na bache.
      const endsAt = String(now() + maxAge * 1000); // absolute limit, milliseconds me
      const first = Math.min(ttl, maxAge);
      await client.multi().hSet(key(family), { username, hash, endsAt }).expire(key(family), first).exec();
      return first;
    },
    async rotate(family, oldHash, newHash, ttl) {
      const [status, username, left] = await client.eval(ROTATE, {
        keys: [key(family)],
        arguments: [oldHash, newHash, String(ttl), String(now()), String(now() + RACE_WINDOW * 1000)],
      });
      return { status, username, ttl: left };
    },
    async revoke(family) {
      await client.del(key(family));
    },
    async close() {
      await client.close();
    },
  };
}

export async function createStore(redisUrl) {
  return redisUrl ? createRedisStore(await connectRedis(redisUrl)) : createMemoryStore();
}
