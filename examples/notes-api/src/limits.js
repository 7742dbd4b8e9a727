// Login pe brute force ke khilaf: express-rate-limit, counts Redis me (rate-limit-redis, taaki
// restart ke baad aur kai instances me bhi wahi ginti rahe) ya REDIS_URL na ho to memory me.
import { createHash } from "node:crypto";
import { rateLimit } from "express-rate-limit";
import { RedisStore } from "rate-limit-redis";

// --8<-- [start:login-limit]
// Sirf galat logins gine jaate hain (skipSuccessfulRequests): sahi password pe ginti wapas.
// Ek address se: 15 minute me 10 galat. Ek account pe (kisi bhi address se): 5 minute me 15.
// Account wali limit address wali se upar hai: akela ek address kisi ka account lock nahi kar
// sakta. Kai addresses wala attacker kar sakta hai, isliye us window ko chhota rakha (5 min).
export const LOGIN_LIMITS = {
  address: { windowMs: 15 * 60 * 1000, limit: 10 },
  account: { windowMs: 5 * 60 * 1000, limit: 15 },
};

function limiter(name, { windowMs, limit }, store, keyGenerator) {
  return rateLimit({
    windowMs, limit, store, keyGenerator,
    skipSuccessfulRequests: true,
    standardHeaders: "draft-7", legacyHeaders: false, // 429 pe Retry-After bhi
    // Store (Redis) slow ya band: error aage jaata hai -> 503. Bina limit ke login nahi (fail closed).
    passOnStoreError: false,
    handler(req, res) {
      console.warn(`Login limit (${name}): ip=${req.ip} -> 429`); // password kabhi log nahi
      res.status(429).json({ error: "Bahut saare galat login, thodi der baad try karo" });
    },
  });
}
// --8<-- [end:login-limit]

// Username ka hash key me: lamba ya ajeeb username bhi chhoti, saaf key banta hai.
const account = (req) => createHash("sha256").update(String(req.body?.username ?? "").toLowerCase())
  .digest("base64url");

// rate-limit-redis apni Lua script ka SHA (ek promise) yaad rakhta hai. Redis band tha to wo
// promise fail hi reh jaata, aur Redis wapas aane ke baad bhi har login 503. Isliye kisi bhi
// error ke baad agli baar script pehle dobara load karo.
class RecoveringRedisStore extends RedisStore {
  async increment(key) {
    if (this.stale) {
      this.stale = false;
      this.incrementScriptSha = this.loadIncrementScript();
    }
    try {
      return await super.increment(key);
    } catch (err) {
      this.stale = true;
      throw err;
    }
  }
}

export function loginLimiters(sendCommand) {
  const store = (prefix) => sendCommand && new RecoveringRedisStore({ prefix, sendCommand: (...args) => sendCommand(args) });
  return [
    limiter("address", LOGIN_LIMITS.address, store("login-ip:"), undefined), // default: req.ip (IPv6: /56)
    limiter("account", LOGIN_LIMITS.account, store("login-user:"), account),
  ];
}
