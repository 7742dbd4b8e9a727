// Do tarah ke tokens:
// - access token: ek chhota JWT (15 min), har request ke saath "Authorization: Bearer" me.
// - refresh token: JWT nahi, ek lamba random string (7 din), sirf HttpOnly cookie me.
import { createHash, randomBytes } from "node:crypto";
import { SignJWT, jwtVerify } from "jose";

const ISSUER = "notes-api";

// --8<-- [start:esm-export]
// `export` se function doosri files ke liye khulta hai; app.js use `import` karti hai.
export function hashToken(token) {
  return createHash("sha256").update(token).digest("base64url");
}
// --8<-- [end:esm-export]

// --8<-- [start:sign]
// Login/refresh pe: user ka naam (sub) aur expiry (exp) wala JWT, secret se signed.
export async function signAccessToken(username, secret, ttlSeconds) {
  return new SignJWT()
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(username)
    .setIssuer(ISSUER)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`) // abhi se ttlSeconds baad expire
    .sign(secret);
}
// --8<-- [end:sign]

// --8<-- [start:verify]
// Signature, expiry aur issuer check; kuch bhi galat ho to error throw hota hai.
// algorithms fix rakho: token khud apna "alg" na chun sake (jaise "none").
export async function verifyAccessToken(token, secret) {
  const { payload } = await jwtVerify(token, secret, {
    algorithms: ["HS256"],
    issuer: ISSUER,
    requiredClaims: ["exp", "sub"], // jose exp tabhi check karta hai jab token me ho
  });
  return payload; // { sub: "demo", iat, exp, iss }
}
// --8<-- [end:verify]

// --8<-- [start:refresh-token]
// Refresh token = "<family>.<random>". Family = ek login session; har refresh pe
// random hissa badalta hai (rotation), family wahi rehti hai.
// Server token nahi, sirf uska hash rakhta hai: DB leak ho to bhi token kaam ka nahi.
export function newRefreshToken(family = randomBytes(16).toString("base64url")) {
  const token = `${family}.${randomBytes(32).toString("base64url")}`;
  return { token, family, hash: hashToken(token) };
}

export function parseRefreshToken(token) {
  const family = typeof token === "string" ? token.split(".")[0] : "";
  return family ? { family, hash: hashToken(token) } : null;
}
// --8<-- [end:refresh-token]
