"""Small metadata helpers shared by the readers: dates, URLs, hosts and outlet names."""
from __future__ import annotations

import email.utils
import re
from datetime import date, datetime, timezone
from urllib.parse import urlsplit

_ISO = re.compile(r"^\s*(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_COMPACT = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})(?:$|[T\s])")
_DAY_FIRST_DOTTED = re.compile(r"^\s*(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{4})(?!\d)")
_FORMATS = (
    "%d-%b-%Y", "%d %B %Y", "%d %b %Y", "%B %d, %Y", "%b %d, %Y", "%b. %d, %Y", "%B %d %Y", "%b %d %Y",
    "%A, %B %d, %Y", "%a, %b %d, %Y", "%A, %d %B %Y", "%a, %d %b %Y", "%d. %B %Y",
)
MIN_YEAR, MAX_YEAR = 1800, 2100


def _valid(y: int, m: int, d: int) -> str | None:
    if not MIN_YEAR <= y <= MAX_YEAR:
        return None
    try:
        return date(y, m, d).isoformat()
    except ValueError:
        return None


def normalize_date(value: object) -> str | None:
    """``YYYY-MM-DD`` for a date in a common format (ISO, RFC 2822, "26-FEB-1987", "March 5, 2018",
    epoch seconds/milliseconds), else None. Ambiguous numeric forms like 03/04/2018 are not guessed."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        v = float(value)
        if 1e11 <= v < 1e14:
            v /= 1000.0
        if 1e8 <= v < 1e11:
            try:
                return datetime.fromtimestamp(v, tz=timezone.utc).date().isoformat()
            except (OverflowError, OSError, ValueError):
                return None
        return None
    if not isinstance(value, str):
        return None
    s = value.strip()
    if not s or len(s) > 100:
        return None
    for pattern in (_ISO, _COMPACT):
        m = pattern.match(s)
        if m:
            return _valid(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = _DAY_FIRST_DOTTED.match(s)
    if m:
        return _valid(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    if "," in s or s[:1].isalpha():
        try:
            dt = email.utils.parsedate_to_datetime(s)
            if dt is not None:
                return _valid(dt.year, dt.month, dt.day)
        except (TypeError, ValueError, IndexError):
            pass
    tokens = s.replace("\u00a0", " ").split()
    for n in range(min(len(tokens), 5), 0, -1):
        candidate = " ".join(tokens[:n]).rstrip(",;")
        for fmt in _FORMATS:
            try:
                dt = datetime.strptime(candidate, fmt)
            except ValueError:
                continue
            return _valid(dt.year, dt.month, dt.day)
    return None


_WAYBACK = re.compile(r"^https?://(?:web|web-beta|wayback)\.archive\.org/web/\d+[a-z_]*/+(.+)$", re.I)


def unwrap_wayback(url: str | None) -> str | None:
    """The original URL of a Wayback Machine capture URL; other URLs unchanged."""
    if not url:
        return url
    m = _WAYBACK.match(url.strip())
    if not m:
        return url
    inner = m.group(1)
    inner = re.sub(r"^(https?):/+", r"\1://", inner, flags=re.I)
    if not re.match(r"^https?://", inner, re.I):
        inner = "http://" + inner
    return inner


def host_of(url: str | None) -> str | None:
    """The URL's host in lower case without a leading ``www.`` (``www2.`` ...), or None."""
    if not url or not isinstance(url, str):
        return None
    try:
        host = urlsplit(unwrap_wayback(url.strip()) or "").hostname
    except ValueError:
        return None
    if not host:
        return None
    host = re.sub(r"^www\d*\.", "", host.lower().rstrip("."))
    return host or None


_SITENAME_SPLIT = re.compile(r"\s+[-|–—:»]\s+")


def clean_sitename(sitename: str | None, title: str | None = None) -> str | None:
    """trafilatura's site name, unless it is really a page title ("CNN.com - New Orleans has ...");
    then its first short segment, or None."""
    if not sitename:
        return None
    name = " ".join(sitename.split())
    if not name:
        return None
    long = len(name.split()) > 6 or (title and len(name) > 30 and (title in name or name in title))
    if not long:
        return name
    first = _SITENAME_SPLIT.split(name, 1)[0].strip()
    if first and first != name and len(first.split()) <= 4:
        return first
    return None


# --- outlet and date from where a page was put ---------------------------------------------------

_DATE_NAME = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})(?:$|[-_. ])")  # 2026-03-03, 2026-03-02-slug, 20260303_x
_YEAR, _PART = re.compile(r"^\d{4}$"), re.compile(r"^\d{1,2}$")


def _date_folder(name: str) -> bool:
    return bool(_YEAR.match(name) or _PART.match(name) or _DATE_NAME.match(name))


def path_meta(folders: list[str], name: str) -> tuple[str | None, str | None]:
    """``(outlet, published)`` from a page's path: ``folders`` from the input folder down, and its file name.

    The date: a file name that starts with one (``2026-03-03.txt``, ``2026-03-02-slug.txt``,
    ``20260303.txt``), else date folders (``2026/03/04/slug.html``, ``2026-03-04/slug.txt``).
    The outlet: the nearest folder above the file that is not a date folder; the input folder
    itself (``folders[0]``) counts only when the path carries a date (``meridian-ledger/2026-03-03.txt``),
    so a flat folder of pages (``seeds/000.txt``) names no outlet."""
    published = None
    m = _DATE_NAME.match(name)
    if m:
        published = _valid(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if published is None:
        for i in range(len(folders) - 1, -1, -1):
            m = _DATE_NAME.match(folders[i])
            if m and not _YEAR.match(folders[i]):
                published = _valid(int(m.group(1)), int(m.group(2)), int(m.group(3)))
                break
            if i >= 2 and _PART.match(folders[i]) and _PART.match(folders[i - 1]) and _YEAR.match(folders[i - 2]):
                published = _valid(int(folders[i - 2]), int(folders[i - 1]), int(folders[i]))
                break
    outlet = None
    for i in range(len(folders) - 1, -1, -1):
        if i == 0 and published is None:
            break
        if not _date_folder(folders[i]) and any(c.isalpha() for c in folders[i]):
            outlet = folders[i].strip() or None
            break
    return outlet, published
