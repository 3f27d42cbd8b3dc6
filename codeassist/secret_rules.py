"""The tables behind codeassist/secrets.py: credential formats, where they may start, and the
words that make a name a secret's. tests/data/secrets_corpus.toml holds what they must catch
and the look-alikes they must keep.
"""

from __future__ import annotations

import re

# (what, pattern, severity, judge): the match (or its `secret` group) is the secret. judge:
# "" the format is proof; "placeholder": unless a placeholder; "random": unless not random;
# "password": unless not password-like; "basic": unless it does not decode to user:password.
FORMATS: tuple[tuple[str, str, str, str], ...] = (
    ("AWS access key id", r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b", "error", ""),
    ("private key", r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----", "error", ""),
    ("GitHub token", r"\bgh[pousr]_[A-Za-z0-9]{36,}\b", "error", ""),
    ("GitHub token", r"\bgithub_pat_[A-Za-z0-9_]{40,}\b", "error", ""),
    ("GitLab token", r"\bglpat-[A-Za-z0-9_-]{20,}", "error", ""),
    ("Slack token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}", "error", ""),
    ("Slack webhook URL", r"https://hooks\.slack\.com/services/T\w+/B\w+/\w+", "error", ""),
    ("Stripe key", r"\b(?:sk|rk)_live_[A-Za-z0-9]{16,}\b", "error", ""),
    ("Stripe test key", r"\b(?:sk|rk)_test_[A-Za-z0-9]{16,}\b", "warning", ""),
    ("Stripe publishable key", r"\bpk_live_[A-Za-z0-9]{16,}\b", "info", ""),
    ("Google API key", r"\bAIza[0-9A-Za-z_-]{35}\b", "error", ""),
    ("Anthropic API key", r"\bsk-ant-[A-Za-z0-9_-]{32,}", "error", ""),
    ("OpenAI-style API key", r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{32,}", "error", ""),
    ("JSON web token", r"\beyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}", "warning", ""),
    (
        "password in a URL",
        r"\b[a-zA-Z][a-zA-Z0-9+.-]{0,30}://[^\s:/@'\"]{1,200}:(?P<secret>[^\s:/@'\"]{3,200})@",
        "warning",
        "placeholder",
    ),
    ("bearer token", r"\b[Bb]earer[^\S\n]+(?P<secret>[\w.~+/-]{20,}=*)", "error", "random"),
    ("authorization token", r"\b(?:Token|token|TOKEN)[^\S\n]+(?P<secret>[\w.~+/-]{20,}=*)",
     "error", "random"),
    ("basic auth credentials", r"\bBasic[^\S\n]+(?P<secret>[A-Za-z0-9+/]{8,}={0,2})(?![\w+/=])",
     "error", "basic"),
    ("password in an auth pair",
     r"""\bauth[^\S\n]*=[^\S\n]*[(\[][^\S\n]*(?P<q>["'])[^"'\n]{1,100}(?P=q)[^\S\n]*,[^\S\n]*"""
     r"""(?P<q2>["'])(?P<secret>[^"'\n]{1,200})(?P=q2)""", "error", "password"),
    ("Stripe webhook secret", r"\bwhsec_[A-Za-z0-9+/=]{24,}", "error", ""),
)  # fmt: skip
# Where a secret may start, in lowercased bytes: each a literal-led pattern (fast to scan
# for); a line with none is not looked at again. Together they cover FORMATS and the names.
ANCHORS = (
    rb"a(?:kia|sia|bia|cca)[0-9a-z]{16}", rb"private key", rb"gh[pousr]_", rb"github_pat_",
    rb"glpat-", rb"xox[abposr]-", rb"hooks\.slack", rb"_(?:live|test)_", rb"aiza", rb"sk-",
    rb"eyj", rb"bearer", rb"token[ \t]+[\w.~+/-]{20}", rb"basic[ \t]+[a-z0-9+/]{8}", rb"whsec_",
    rb"default[ \t]+'", rb"://[^\s/@\"']{1,200}:[^\s/@\"']{0,200}@",
    *(word + rb"[\w.-]{0,80}[\"'`\]]?\]?[ \t]*[:=]"
      for word in (rb"pass", rb"pw", rb"secret", rb"token", rb"key", rb"auth", rb"credential")),
)  # fmt: skip

# Words that make a name a secret's (a name is split at _ - . and case changes), also when
# two are written as one ("apikey", "secretKey").
PASSWORD_WORDS = frozenset({"password", "passwd", "pwd", "pw", "pass", "passphrase", "passcode"})
SECRET_WORDS = frozenset({
    "secret", "token", "apikey", "auth", "authorization", "credential", "credentials",
    "privatekey", "accesskey", "secretkey", "signingkey", "encryptionkey", "masterkey",
    "sessionkey", "clientsecret", "authtoken", "accesstoken", "refreshtoken", "bearer",
    "licensekey", "servicekey",
})  # fmt: skip
KEY_PREFIXES = frozenset({
    "api", "access", "secret", "private", "signing", "encryption", "master", "session",
    "client", "app", "license", "service", "account", "consumer", "auth", "webhook", "hmac",
    "deploy",
})  # fmt: skip
# A name with one of these words, or ending in one, describes a secret, it does not hold one.
NOT_SECRET_WORDS = frozenset({"public"})
NOT_SECRET_ENDINGS = frozenset({
    "url", "uri", "path", "file", "filename", "dir", "name", "id", "type", "header", "regex",
    "re", "pattern", "len", "length", "field", "env", "var", "prefix", "suffix", "format",
    "endpoint", "mode", "count", "size", "version", "label", "kind", "param", "policy",
    "scope", "scopes", "method", "limit", "min", "max", "class", "provider", "manager",
    "cache", "validator", "required", "enabled", "expiry", "expires", "ttl", "timeout",
    "source", "store", "backend", "attr", "location", "host", "port", "user", "username",
    "email", "hint", "prompt", "message", "error", "form", "input", "key_name",
})  # fmt: skip
PLACEHOLDER = re.compile(
    r"^(x+|\*+|\.+|-+|<.*>|\[.*\]|\$\{?.*\}?|%\(.*|%s|\{.*\}|your[_-].*|change[_-]?me.*"
    r"|example.*|dummy.*|test.*|fake.*|sample.*|placeholder.*|replace[_-]?me.*|todo.*"
    r"|secret|password|passwd|pass|pwd|null|none|nil|true|false|undefined"
    r"|(os\.)?environ.*|getenv.*|env\(.*|process\.env.*)$|xxxx|\.\.\.|…|«redacted»",
    re.IGNORECASE,
)
