// Express app: routes aur middleware. server.js ise start karta hai, tests seedha bhi.
// --8<-- [start:esm-import]
import { createHash, timingSafeEqual } from "node:crypto";
import { STATUS_CODES } from "node:http";
import express from "express";
import cors from "cors";
import cookieParser from "cookie-parser";
import {
  newRefreshToken,
  parseRefreshToken,
  signAccessToken,
  verifyAccessToken,
} from "./tokens.js"; // apni file: ES modules me ".js" extension likhna zaroori hai
// --8<-- [end:esm-import]
import { loginLimiters } from "./limits.js";

const REALM = "notes-api";
const BODY_LIMIT = 10 * 1024; // JSON body: login ke liye 10 KB kaafi
const RETRY_AFTER = "5"; // 503 (Redis slow/band): client itne seconds baad try kare

// --8<-- [start:cookie]
// Refresh token sirf is cookie me: HttpOnly (JavaScript padh nahi sakti), Secure (sirf
// HTTPS; Chrome/Firefox localhost pe http bhi maan lete hain, Safari nahi), SameSite=Strict (doosri site se
// aayi request me cookie nahi jaati), Path=/auth (sirf /auth/... routes pe jaati hai).
const REFRESH_COOKIE = "refreshToken";
const cookieOptions = { httpOnly: true, secure: true, sameSite: "strict", path: "/auth" };
// --8<-- [end:cookie]

// Password compare: timingSafeEqual (hash karke, taaki length bhi barabar ho), taaki jawab
// ke time se andaza na lage ki kitne letters sahi the.
const sha256 = (text) => createHash("sha256").update(text).digest();
const same = (a, b) => timingSafeEqual(sha256(a), sha256(b));

export function createApp({ config, store }) {
  const app = express();
  app.disable("x-powered-by"); // "Express" ka naam header me batane ki zarurat nahi

  // --8<-- [start:cors]
  // Allow-list: sirf CORS_ORIGIN wale origin(s) ko Access-Control-Allow-Origin milta hai.
  // Array dene pe cors package request ka Origin list me dhoondhta hai; na mile to ye
  // header bhejta hi nahi, aur browser jawab block kar deta hai.
  app.use(
    cors({
      origin: config.corsOrigins, // jaise ["http://localhost:5173"]
      credentials: true, // cookie wali request ka jawab JS ko mile (CSRF ko CORS nahi rokta)
      methods: ["GET", "POST"],
      allowedHeaders: ["Authorization", "Content-Type"],
      maxAge: 600, // browser preflight ka jawab 10 minute yaad rakhe
    }),
  );
  // --8<-- [end:cors]
  // Content-Length hi limit se bada: body padhe bina 413, aur connection band (Connection:
  // close). Warna Node agli request ke liye poora body padh ke phenkta.
  app.use((req, res, next) => {
    if (!(Number(req.get("Content-Length")) > BODY_LIMIT)) return next();
    res.set("Connection", "close").status(413).json({ error: STATUS_CODES[413] });
  });
  app.use(express.json({ limit: BODY_LIMIT }));
  app.use(cookieParser());

  // Naya access token JSON me, naya refresh token cookie me. no-store: koi cache na rakhe.
  async function sendTokens(res, username, refresh, ttl) {
    const accessToken = await signAccessToken(username, config.jwtSecret, config.accessTokenTtl);
    res.set("Cache-Control", "no-store");
    res.cookie(REFRESH_COOKIE, refresh.token, {
      ...cookieOptions,
      maxAge: ttl * 1000, // refresh token ki umar; Express ko milliseconds chahiye
    });
    res.json({ accessToken });
  }

  // Har 401 ke saath WWW-Authenticate challenge zaroori hai (RFC 9110): ye API Bearer
  // tokens se chalti hai. Login aur refresh ke fail hone pe bhi wahi batate hain.
  function unauthorized(res, message) {
    res.set("WWW-Authenticate", `Bearer realm="${REALM}"`);
    return res.status(401).json({ error: message });
  }

  function refuse(res, message) {
    res.clearCookie(REFRESH_COOKIE, cookieOptions);
    unauthorized(res, message);
  }

  app.post("/auth/login", ...loginLimiters(store.sendCommand), async (req, res) => {
    const { username, password } = req.body ?? {};
    if (typeof username !== "string" || typeof password !== "string") {
      return res.status(400).json({ error: "JSON body me username aur password (strings) chahiye" });
    }
    // "&" (na ki "&&"): dono compare hamesha chalein, time se kuch pata na chale.
    if (!(same(username, config.demoUser) & same(password, config.demoPassword))) {
      // Log me kaun aur kahan se, password kabhi nahi (JSON.stringify: newline wagairah escape).
      console.warn(`Login galat: user=${JSON.stringify(username.slice(0, 64))} ip=${req.ip}`);
      return unauthorized(res, "Galat username ya password");
    }
    const refresh = newRefreshToken(); // nayi family = naya session
    const ttl = await store.create(refresh.family, username, refresh.hash, config.refreshTokenTtl,
      config.sessionMaxAge);
    await sendTokens(res, username, refresh, ttl);
  });

  // --8<-- [start:refresh]
  // Purana refresh token do, naya pair lo (rotation). Purana token ab kabhi nahi chalega;
  // koi use dobara bheje (chor ya hacker), to poori family (session) revoke.
  app.post("/auth/refresh", async (req, res) => {
    const old = parseRefreshToken(req.cookies[REFRESH_COOKIE]);
    if (!old) return refuse(res, "Refresh token nahi mila");
    const next = newRefreshToken(old.family); // same session, naya random token
    const result = await store.rotate(old.family, old.hash, next.hash, config.refreshTokenTtl);
    if (result.status === "raced") {
      // Do tabs ek saath: doosre ne abhi token badla. Cookie mat chhedo (naya wahi hai);
      // 409: client naye cookie se ek baar dobara try kare.
      return res.status(409).json({ error: "Token abhi badla hai, dobara refresh karo" });
    }
    if (result.status === "reused") console.warn("Purana refresh token dobara aaya: session revoked");
    if (result.status !== "ok") return refuse(res, "Refresh token galat, purana ya expired hai");
    await sendTokens(res, result.username, next, result.ttl); // absolute limit tak hi
  });
  // --8<-- [end:refresh]

  app.post("/auth/logout", async (req, res) => {
    const old = parseRefreshToken(req.cookies[REFRESH_COOKIE]);
    if (old) await store.revoke(old.family); // is session ka koi token ab refresh nahi karega
    res.clearCookie(REFRESH_COOKIE, cookieOptions).status(204).end();
  });

  // --8<-- [start:auth]
  // Protected routes se pehle: "Authorization: Bearer <accessToken>" check (RFC 6750).
  // 401 ke saath WWW-Authenticate header batata hai ki kaunsa token chahiye.
  async function requireAuth(req, res, next) {
    const token = /^Bearer +(\S+)$/i.exec(req.get("Authorization") ?? "")?.[1];
    if (!token) {
      res.set("WWW-Authenticate", `Bearer realm="${REALM}"`);
      return res.status(401).json({ error: "Access token chahiye" });
    }
    try {
      req.user = await verifyAccessToken(token, config.jwtSecret);
    } catch {
      res.set("WWW-Authenticate", `Bearer realm="${REALM}", error="invalid_token"`);
      return res.status(401).json({ error: "Access token galat ya expired hai" });
    }
    next();
  }
  // --8<-- [end:auth]

  app.get("/me", requireAuth, (req, res) => {
    res.json({ user: { username: req.user.sub } });
  });

  // Docker HEALTHCHECK ke liye sasta check: app chal rahi hai aur store (Redis) jawab deta hai.
  // Redis na ho to 503 (error handler se), taaki container "unhealthy" dikhe.
  app.get("/healthz", async (req, res) => {
    await store.ping();
    res.set("Cache-Control", "no-store").json({ status: "ok" });
  });

  // Route hai par method galat (jaise GET /auth/login): 404 nahi, 405 + Allow (RFC 9110).
  const allowed = {
    "/auth/login": "POST", "/auth/refresh": "POST", "/auth/logout": "POST", "/me": "GET, HEAD", "/healthz": "GET, HEAD",
  };
  for (const [path, methods] of Object.entries(allowed)) {
    app.all(path, (req, res) => res.set("Allow", methods).status(405).json({ error: "Method Not Allowed" }));
  }

  app.use((req, res) => res.status(404).json({ error: "Not found" }));

  // Galat JSON body (400), bahut bada body (413) wagairah; baaki sab 500. Jawab me sirf
  // status ka naam: err.message me body ka hissa ho sakta hai (login pe password bhi).
  app.use((err, req, res, next) => {
    if (res.headersSent) return next(err); // jawab shuru ho chuka: Express connection band kare
    const status = err.status >= 400 && err.status < 600 ? err.status : 500;
    if (status === 503) {
      console.error(err.message); // store (Redis) slow ya band: stack ki zarurat nahi
      res.set("Retry-After", RETRY_AFTER);
    } else if (status >= 500) console.error(err);
    if (status === 413) res.set("Connection", "close"); // baaki body padhne ki zarurat nahi
    res.status(status).json({ error: STATUS_CODES[status] ?? "Error" });
  });

  return app;
}
