"""Generated note pages for the build and search benchmarks.

Each page is shaped like docs/docker.md: front matter with a description and tags (the
checks hook requires both), Hinglish prose, headings, nested lists, code fences in several
languages and an admonition. Text is drawn from a seeded generator, so every run builds the
same pages while no two pages share a search index entry word for word.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

TOPICS = [
    ("Express middleware", "javascript", "Node.js"), ("PostgreSQL indexes", "sql", "Database"),
    ("Redis caching", "bash", "Redis"), ("JWT refresh tokens", "javascript", "Auth"),
    ("Rate limiting", "javascript", "Security"), ("Docker volumes", "dockerfile", "Docker"),
    ("Nginx reverse proxy", "nginx", "DevOps"), ("REST pagination", "json", "API"),
    ("Message queues", "python", "Architecture"), ("Env variables", "bash", "DevOps"),
    ("Mongo aggregation", "javascript", "Database"), ("CORS preflight", "http", "Security"),
    ("Health checks", "yaml", "DevOps"), ("Graceful shutdown", "javascript", "Node.js"),
    ("Password hashing", "python", "Auth"), ("Webhooks", "json", "API"),
]
TAGS = ["Node.js", "Database", "Redis", "Auth", "Security", "Docker", "DevOps", "API", "Architecture"]

SENTENCES = [
    "Jab hum {t} ko production me use karte hain, to sabse pehle config ko properly samajhna padta hai.",
    "{t} ka main idea simple hai: kaam ko chhote steps me todo aur har step ko alag test karo.",
    "Agar {t} galat setup hua, to **response time** badh jata hai aur logs me errors bhar jate hain.",
    "Local machine pe sab theek chalta hai, par server pe {t} ka behaviour alag ho sakta hai.",
    "Isliye {t} ke liye ek chhota sa checklist banao aur har deploy se pehle usse follow karo.",
    "Naye developer ko {t} samjhane ka best tarika hai ek working example dikhana.",
    "{t} me sabse common galti hai default values pe bharosa karna, bina unhe padhe.",
    "Har request ke sath {t} ka overhead thoda sa hota hai, par scale pe wahi matter karta hai.",
    "Monitoring ke bina {t} ka problem tab pata chalta hai jab user complain karta hai.",
    "Documentation padho, phir `{c}` jaisa chhota command chala ke khud verify karo.",
]
BULLETS = [
    "**Fast & simple** – {t} ka setup 5 minute me ho jata hai.",
    "`{c}` se current state check karo.",
    "Config ko `.env` me rakho, code me hardcode mat karo.",
    "Errors ko log karo, par secrets kabhi log me mat likho.",
    "Timeout hamesha set karo – default kabhi kabhi *infinite* hota hai.",
    "Retry sirf idempotent requests pe karo (`GET`, `PUT`, `DELETE`).",
    "Har change ke baad {t} ke metrics dekho: latency, errors, throughput.",
    "Staging pe pehle try karo, phir production pe.",
]
HEADINGS = ["🚀 {t} Kya Hai?", "🎯 {t} Ke Benefits", "🔧 {t} Kaise Kaam Karta Hai?",
            "Common Mistakes", "👉 Step by Step Setup", "Debugging Tips", "Production Checklist"]
ADMONITIONS = ["warning", "tip", "note", "info", "example"]
CODE = {
    "javascript": 'import express from "express";\n\nconst app = express();\napp.use(express.json());\n\napp.get("/api/{s}", async (req, res) => {{\n  const items = await db.find({{ limit: 20 }});\n  res.status(200).json({{ items }});\n}});\n\napp.listen(process.env.PORT ?? 3000);',
    "sql": "CREATE INDEX idx_{s}_created ON {s} (created_at DESC);\n\nEXPLAIN ANALYZE\nSELECT id, title FROM {s}\nWHERE created_at > now() - interval '7 days'\nORDER BY created_at DESC\nLIMIT 20;",
    "bash": "docker run -d --name {s} -p 6379:6379 redis/redis-stack:latest\ndocker exec -it {s} redis-cli ping\ncurl -s http://localhost:3000/health",
    "dockerfile": "FROM node:20-alpine\nWORKDIR /app\nCOPY package.json package-lock.json ./\nRUN npm ci --omit=dev\nCOPY . .\nVOLUME /app/data\nCMD [\"node\", \"server.js\"]",
    "nginx": "location /api/ {{\n    proxy_pass http://127.0.0.1:3000;\n    proxy_set_header Host $host;\n    proxy_read_timeout 10s;\n}}",
    "json": '{{\n  "data": [{{ "id": 41, "name": "{s}" }}],\n  "page": 2,\n  "next": "/api/{s}?cursor=eyJpZCI6NDF9"\n}}',
    "python": "import hashlib\nimport os\n\n\ndef hash_{s}(password: str) -> bytes:\n    salt = os.urandom(16)\n    return salt + hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)",
    "http": "OPTIONS /api/{s} HTTP/1.1\nOrigin: https://app.example.com\nAccess-Control-Request-Method: PUT\n\nHTTP/1.1 204 No Content\nAccess-Control-Allow-Origin: https://app.example.com",
    "yaml": "services:\n  {s}:\n    image: {s}:latest\n    healthcheck:\n      test: [\"CMD\", \"wget\", \"-qO-\", \"http://127.0.0.1/healthz\"]\n      interval: 30s",
}
COMMANDS = ["npm run dev", "docker ps", "redis-cli info", "psql -c '\\d'", "curl -I localhost:3000"]


def slug(i: int) -> str:
    return f"note-{i:04d}"


def page(i: int, rng: random.Random) -> str:
    topic, lang, tag = TOPICS[i % len(TOPICS)]
    t = f"{topic} #{i}"
    s = re.sub(r"[^a-z]+", "_", topic.lower()).strip("_")
    tags = sorted({tag, rng.choice(TAGS)})

    def prose(n: int) -> str:
        return " ".join(rng.choice(SENTENCES).format(t=t, c=rng.choice(COMMANDS)) for _ in range(n))

    def bullets(n: int, ordered: bool = False) -> str:
        lines = []
        for k, text in enumerate(rng.sample(BULLETS, n), start=1):
            lines.append(f"{k}. " if ordered else "- ")
            lines[-1] += text.format(t=t, c=rng.choice(COMMANDS))
            if ordered and k == 2:
                lines.append("    - " + rng.choice(SENTENCES).format(t=t, c=rng.choice(COMMANDS)))
        return "\n".join(lines)

    def fence(language: str) -> str:
        return f'```{language} title="{s}.{language[:4]}"\n{CODE[language].format(s=s)}\n```'

    out = [
        "---",
        f"description: {topic} ke notes (page {i}) — setup, common mistakes aur production checklist.",
        "tags:", *(f"  - {x}" for x in tags),
        "---", "", f"# {t}", "", prose(4), "",
    ]
    for h, heading in enumerate(HEADINGS):
        out += [f"## {heading.format(t=topic)}", "", prose(3), "", bullets(4, ordered=h % 2 == 1), ""]
        if h in (1, 3, 5):
            out += [fence(lang if h != 3 else rng.choice(list(CODE))), "", prose(1), ""]
        if h == 4:
            kind = rng.choice(ADMONITIONS)
            out += [f'!!! {kind} "{topic}: dhyan do"', "", "    " + prose(2), "",
                    "    " + fence("bash").replace("\n", "\n    "), ""]
    return "\n".join(out)


def generate(docs: Path, count: int, seed: int = 1) -> list[tuple[str, str]]:
    """Write `count` notes under docs/notes/; return their (nav title, path) pairs."""
    rng = random.Random(seed)
    folder = docs / "notes"
    folder.mkdir(parents=True, exist_ok=True)
    nav = []
    for i in range(1, count + 1):
        (folder / f"{slug(i)}.md").write_text(page(i, rng), encoding="utf-8")
        nav.append((f"{TOPICS[i % len(TOPICS)][0]} #{i}", f"notes/{slug(i)}.md"))
    return nav


def with_nav(mkdocs_yml: str, nav: list[tuple[str, str]]) -> str:
    """The project's mkdocs.yml plus a "Generated notes" nav section (strict mode fails on
    pages missing from the nav)."""
    # Ten notes to a section, as an author would group them; titles are quoted YAML.
    lines = ["  - Generated notes:"]
    for start in range(0, len(nav), 10):
        lines.append(f"      - Notes {start + 1}-{min(start + 10, len(nav))}:")
        lines += [f'          - "{title}": {path}' for title, path in nav[start:start + 10]]
    # Appended at the end of the top-level nav block, wherever it sits in the file.
    match = re.search(r"(?ms)^nav:\n.*?(?=^\S|\Z)", mkdocs_yml)
    assert match, "mkdocs.yml: no top-level nav"
    block = match.group(0).rstrip("\n") + "\n" + "\n".join(lines) + "\n"
    return mkdocs_yml[:match.start()] + block + mkdocs_yml[match.end():]
