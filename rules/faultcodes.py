"""Fault-code library (故障代码库), knowledge base (常见问题) and scan-to-report (扫码报修):
field specs, review duty, matching a fault description to codes and articles, the safe
Markdown policy, and the public form's checks (phone, photo, limits, duplicates).

Pure stdlib; the current time is an argument.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any

from rules.customers import add_months
from rules.fields import Field, Kind, Option, Problem, Register
from rules.tickets import Priority, Status

# ---------------------------------------------------------------- review duty
REVIEW_MONTHS_DEFAULT = 12  # domain.md: reviewed at least once a year
REVIEW_WARN_DAYS_DEFAULT = 30


class ReviewStatus(StrEnum):
    OK = "ok"
    DUE = "due"  # due within the warning window
    OVERDUE = "overdue"  # past due, or never reviewed


REVIEW_OPTIONS = (
    Option(ReviewStatus.OK, "无需评审", "Up to date"),
    Option(ReviewStatus.DUE, "即将到期", "Due soon"),
    Option(ReviewStatus.OVERDUE, "已逾期", "Overdue", ("逾期", "未评审")),
)


def review_due(reviewed_at: dt.date | None, months: int = REVIEW_MONTHS_DEFAULT) -> dt.date | None:
    """The day the next review is due: ``months`` after the last one (None: never reviewed)."""
    return add_months(reviewed_at, months) if reviewed_at else None


def review_status(
    reviewed_at: dt.date | None,
    today: dt.date,
    months: int = REVIEW_MONTHS_DEFAULT,
    warn_days: int = REVIEW_WARN_DAYS_DEFAULT,
) -> ReviewStatus:
    due = review_due(reviewed_at, months)
    if due is None or due < today:
        return ReviewStatus.OVERDUE
    if (due - today).days <= warn_days:
        return ReviewStatus.DUE
    return ReviewStatus.OK


def first_reviewed_on(target: dt.date, months: int = REVIEW_MONTHS_DEFAULT) -> dt.date:
    """The earliest review day whose next review falls due on or after ``target``
    (``review_due`` only grows with the review day, so a list filters on one bound)."""
    day = add_months(target, -months)
    while review_due(day - dt.timedelta(days=1), months) >= target:  # type: ignore[operator]
        day -= dt.timedelta(days=1)
    while review_due(day, months) < target:  # type: ignore[operator]
        day += dt.timedelta(days=1)
    return day


def review_bounds(
    today: dt.date,
    months: int = REVIEW_MONTHS_DEFAULT,
    warn_days: int = REVIEW_WARN_DAYS_DEFAULT,
) -> tuple[dt.date, dt.date]:
    """(a, b): reviewed before ``a`` (or never) is overdue, before ``b`` due, else ok."""
    later = today + dt.timedelta(days=warn_days + 1)
    return first_reviewed_on(today, months), first_reviewed_on(later, months)


# ---------------------------------------------------------------- lists kept as text
_LIST_SPLIT = re.compile(r"[,，、;；\s]+")
LIST_SEP = ", "


def split_list(text: str | None) -> list[str]:
    """``"VMC-850，VMC-1160、 HMC-630"`` → the items in order, without blanks or repeats."""
    if not text:
        return []
    seen: dict[str, None] = {}
    for item in _LIST_SPLIT.split(unicodedata.normalize("NFKC", text)):
        if item:
            seen.setdefault(item, None)
    return list(seen)


def join_list(items: Iterable[str]) -> str | None:
    out = LIST_SEP.join(dict.fromkeys(i for i in items if i))
    return out or None


def unknown_items(text: str | None, known: set[str]) -> list[str]:
    return [i for i in split_list(text) if i not in known]


# ---------------------------------------------------------------- registers
class Severity(StrEnum):
    CRITICAL = "critical"
    MAJOR = "major"
    MINOR = "minor"


class ArticleStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"


SEVERITY_OPTIONS = (
    Option(Severity.CRITICAL, "严重（停机）", "Critical (machine down)", ("严重", "停机")),
    Option(Severity.MAJOR, "一般（影响生产）", "Major (production affected)", ("一般",)),
    Option(Severity.MINOR, "轻微", "Minor", ("低",)),
)
ARTICLE_STATUS_OPTIONS = (
    Option(ArticleStatus.DRAFT, "草稿", "Draft", ("待审核", "proposed")),
    Option(ArticleStatus.PUBLISHED, "已发布", "Published", ("发布",)),
    Option(ArticleStatus.RETIRED, "已停用", "Retired", ("停用", "作废")),
)
# article status → the statuses it may change to (quality staff publish and retire)
ARTICLE_TRANSITIONS: dict[ArticleStatus, frozenset[ArticleStatus]] = {
    ArticleStatus.DRAFT: frozenset({ArticleStatus.PUBLISHED, ArticleStatus.RETIRED}),
    ArticleStatus.PUBLISHED: frozenset({ArticleStatus.RETIRED, ArticleStatus.DRAFT}),
    ArticleStatus.RETIRED: frozenset({ArticleStatus.PUBLISHED}),
}


def article_may_become(current: str, wanted: str) -> bool:
    return ArticleStatus(wanted) in ARTICLE_TRANSITIONS.get(ArticleStatus(current), frozenset())


_MODELS_HELP = ("多个型号用逗号分隔；须为已登记的产品型号", "Several models: comma-separated; each must be a registered product model")  # fmt: skip


def _check_lists(row: dict[str, Any]) -> list[Problem]:
    """Each list field holds at most ``MAX_LIST_ITEMS`` items."""
    return [
        Problem(name, "faultcodes.err.too_many", {"max": MAX_LIST_ITEMS})
        for name in ("models", "parts", "fault_codes", "tags")
        if len(split_list(row.get(name))) > MAX_LIST_ITEMS
    ]


MAX_LIST_ITEMS = 40

FAULT_CODES = Register(
    name="faultcodes",
    zh="故障代码库",
    en="Fault codes",
    key="code",
    fields=(
        Field("code", "故障代码", "Fault code", key=True, required=True, max_len=40,
              aliases=("故障编码", "报警代码", "错误代码", "code", "error code"), example="E101"),
        Field("name_zh", "故障名称", "Name (Chinese)", required=True, max_len=200,
              aliases=("名称", "中文名称", "name zh"), example="主轴驱动器过载报警"),
        Field("name_en", "英文名称", "Name (English)", max_len=200,
              aliases=("name", "name en", "english name"), example="Spindle drive overload alarm"),
        Field("category", "故障类别", "Category", max_len=100, aliases=("类别", "分类", "type"),
              example="电气"),
        Field("models", "适用型号", "Product models", max_len=500,
              aliases=("产品型号", "型号", "models", "applicable models"), example="VMC-850, VMC-1160",
              help_zh=_MODELS_HELP[0], help_en=_MODELS_HELP[1]),
        Field("symptoms", "故障现象", "Symptoms", Kind.LONGTEXT,
              aliases=("现象", "症状", "symptom"), example="主轴启动时报警过载"),
        Field("causes", "可能原因", "Likely causes", Kind.LONGTEXT,
              aliases=("原因", "故障原因", "causes", "cause"), example="驱动器散热风扇堵转"),
        Field("fix_steps", "处理步骤", "Fix steps", Kind.LONGTEXT,
              aliases=("处理方法", "解决方法", "维修步骤", "fix", "solution"),
              example="1. 清理滤网 2. 更换风扇"),
        Field("parts", "常用配件", "Parts usually needed", max_len=500,
              aliases=("配件", "所需配件", "配件编号", "parts", "part nos"), example="000108",
              help_zh="配件编号，多个用逗号分隔；须在配件目录中",
              help_en="Part numbers, comma-separated; each must be in the parts master"),
        Field("labour_hours", "标准工时", "Typical labour hours", Kind.DECIMAL, min_value=0,
              max_value=1000, aliases=("工时", "labour", "hours"), example=2),
        Field("severity", "严重程度", "Severity", Kind.ENUM, options=SEVERITY_OPTIONS,
              aliases=("严重性", "等级", "level"), example=Severity.MAJOR),
        Field("reviewed_at", "最近评审日期", "Last reviewed on", Kind.DATE,
              aliases=("评审日期", "审核日期", "reviewed on", "review date"),
              example=dt.date(2026, 3, 1)),
        Field("reviewed_by", "评审人", "Reviewed by", Kind.REF, ref="users",
              aliases=("审核人", "reviewer"), example="quality"),
        Field("review_status", "评审状态", "Review status", Kind.ENUM, options=REVIEW_OPTIONS,
              computed=True),
    ),
    checks=(_check_lists,),
)  # fmt: skip

ARTICLES = Register(
    name="articles",
    zh="知识库文章",
    en="Knowledge articles",
    key="code",
    fields=(
        Field("code", "文章编号", "Article no.", key=True, required=True, max_len=40,
              aliases=("编号", "article", "article no"), example="KB0001"),
        Field("title_zh", "标题", "Title (Chinese)", required=True, max_len=300,
              aliases=("中文标题", "title zh"), example="主轴过载报警的处理"),
        Field("title_en", "英文标题", "Title (English)", max_len=300,
              aliases=("title", "title en", "english title")),
        Field("body_zh", "正文", "Body (Chinese)", Kind.LONGTEXT, required=True,
              aliases=("内容", "中文正文", "body zh"), example="现象：……",
              help_zh="纯文本或 Markdown；不显示外部图片和 HTML",
              help_en="Plain text or Markdown; remote images and HTML are not shown"),
        Field("body_en", "英文正文", "Body (English)", Kind.LONGTEXT,
              aliases=("body", "body en", "english body")),
        Field("models", "适用型号", "Product models", max_len=500,
              aliases=("产品型号", "型号", "models"), example="VMC-850",
              help_zh=_MODELS_HELP[0], help_en=_MODELS_HELP[1]),
        Field("fault_codes", "故障代码", "Fault codes", max_len=500,
              aliases=("相关故障代码", "codes"), example="E101",
              help_zh="多个用逗号分隔；须在故障代码库中",
              help_en="Comma-separated; each must be in the fault-code library"),
        Field("tags", "标签", "Tags", max_len=300, aliases=("关键词", "keywords"),
              example="主轴, 过载"),
        Field("owner", "负责人", "Owner", Kind.REF, ref="users",
              aliases=("作者", "维护人", "author"), example="quality"),
        Field("status", "状态", "Status", Kind.ENUM, required=True,
              options=ARTICLE_STATUS_OPTIONS, aliases=("发布状态",), example=ArticleStatus.DRAFT),
        Field("source_ticket", "来源工单", "From ticket", Kind.REF, ref="tickets",
              aliases=("工单号", "ticket no"), example="SR202611200001"),
        Field("reviewed_at", "最近评审日期", "Last reviewed on", Kind.DATE,
              aliases=("评审日期", "审核日期", "reviewed on")),
        Field("review_status", "评审状态", "Review status", Kind.ENUM, options=REVIEW_OPTIONS,
              computed=True),
    ),
    checks=(_check_lists,),
)  # fmt: skip


def normalize_lists(values: dict[str, Any]) -> None:
    """List fields kept in one spelling (``"A, B"``) so a re-import changes nothing."""
    for name in ("models", "parts", "fault_codes", "tags"):
        if name in values and values[name] is not None:
            values[name] = join_list(split_list(values[name]))


# ---------------------------------------------------------------- matching
_CJK = re.compile(r"[\u3400-\u9fff]+")
_WORD = re.compile(r"[a-z0-9]+(?:[-_.][a-z0-9]+)*")
# words too common in fault reports to tell faults apart
_STOP = frozenset({"设备", "故障", "报警", "异常", "问题", "客户", "机器", "出现", "运行", "无法"})


def tokens(text: str | None) -> set[str]:
    """Search tokens of ``text``: Latin words/codes (lower case) and Chinese bigrams."""
    return set(_tokens(text)) if text else set()


@lru_cache(maxsize=8192)  # a library's texts are tokenised once, not on every ticket view
def _tokens(text: str) -> frozenset[str]:
    s = unicodedata.normalize("NFKC", text).casefold()
    out = {w for w in _WORD.findall(s) if len(w) >= 2}
    for stop in _STOP:  # a stop word splits the text: no bigram spans it
        s = s.replace(stop, " ")
    for run in _CJK.findall(s):
        out.update(run[i : i + 2] for i in range(len(run) - 1))
    return frozenset(out)


@dataclass(frozen=True)
class Candidate:
    """A fault code or article to score: its key, its text, its models (empty: any)."""

    key: str
    text: str
    models: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()  # the fault codes it names (its own code for a fault code)


@dataclass(frozen=True)
class Match:
    key: str
    score: float


CODE_MENTION_SCORE = 10.0  # the description names the code itself ("报警 E101")
MODEL_BONUS = 1.5  # the candidate is for the device's model


def match(
    description: str | None,
    model: str | None,
    candidates: Sequence[Candidate],
    limit: int = 5,
) -> list[Match]:
    """The candidates that fit a fault description on a device of ``model``, best first.

    Score: shared tokens over the description's token count, plus
    :data:`CODE_MENTION_SCORE` when the description names one of its codes; times
    :data:`MODEL_BONUS` for the device's model. A candidate for other models only is
    left out when the model is known. Ties: key order.
    """
    wanted = tokens(description)
    words = set(_WORD.findall(unicodedata.normalize("NFKC", description or "").casefold()))
    found: list[Match] = []
    for c in candidates:
        if model and c.models and model not in c.models:
            continue
        shared = wanted & _tokens(c.text)
        score = len(shared) / max(len(wanted), 1)
        if any(code.casefold() in words for code in c.codes):
            score += CODE_MENTION_SCORE
        if score <= 0:
            continue
        if model and model in c.models:
            score *= MODEL_BONUS
        found.append(Match(c.key, round(score, 4)))
    found.sort(key=lambda m: (-m.score, m.key))
    return found[:limit]


# ---------------------------------------------------------------- safe Markdown
class MarkdownIssue(StrEnum):
    IMAGE = "image"  # an image (it would make the reader's browser fetch a URL)
    HTML = "html"  # raw HTML (shown as text)
    LINK = "link"  # a link that is not http(s)/mailto (javascript:, data:, …)


_IMAGE = re.compile(r"!\[([^\]]*)\]\s*(\([^)]*\)|\[[^\]]*\])")
_REF_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*\S+.*$", re.MULTILINE)
_HTML = re.compile(r"<[A-Za-z!/?][^>]*>")
_LINK = re.compile(r"\[([^\]]*)\]\(\s*([^)\s]*)[^)]*\)")
_AUTOLINK = re.compile(r"<([a-zA-Z][a-zA-Z0-9+.-]*:[^>\s]*)>")
_SAFE_SCHEMES = ("http://", "https://", "mailto:")


def safe_markdown(text: str | None) -> tuple[str, list[MarkdownIssue]]:
    """``text`` as Markdown a reader's browser may render, and what was neutralised.

    Policy: no images at all (an image is a request to someone else's server: it
    becomes its alt text in brackets); no HTML (angle brackets are escaped, so tags
    show as text); links only to http(s) and mailto (others keep their text only);
    reference definitions are dropped (they could feed an image).
    """
    if not text:
        return "", []
    issues: list[MarkdownIssue] = []
    s = text.replace("\x00", "")

    def image(m: re.Match) -> str:
        issues.append(MarkdownIssue.IMAGE)
        return f"[{m[1] or '图片 image'}]".replace("[", "［").replace("]", "］")

    s = _IMAGE.sub(image, s)
    s = _REF_DEF.sub("", s)

    def autolink(m: re.Match) -> str:
        url = m[1]
        if url.lower().startswith(_SAFE_SCHEMES):
            return url
        issues.append(MarkdownIssue.LINK)
        return url.replace(":", "\\:")

    s = _AUTOLINK.sub(autolink, s)
    if _HTML.search(s):
        issues.append(MarkdownIssue.HTML)
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    def link(m: re.Match) -> str:
        url = m[2].replace("&amp;", "&")
        if url.lower().startswith(_SAFE_SCHEMES):
            return m[0]
        issues.append(MarkdownIssue.LINK)
        return m[1]

    s = _LINK.sub(link, s)
    return s, list(dict.fromkeys(issues))


# ---------------------------------------------------------------- scan-to-report
class Urgency(StrEnum):
    DOWN = "down"  # machine down
    IMPAIRED = "impaired"  # running with trouble
    NORMAL = "normal"
    QUESTION = "question"


URGENCY_OPTIONS = (
    Option(Urgency.DOWN, "设备停机，急需处理", "Machine down, urgent"),
    Option(Urgency.IMPAIRED, "能运行，但影响生产", "Running, production affected"),
    Option(Urgency.NORMAL, "一般故障", "Ordinary fault"),
    Option(Urgency.QUESTION, "咨询 / 使用问题", "Question / how to use"),
)
URGENCY_PRIORITY: dict[Urgency, Priority] = {
    Urgency.DOWN: Priority.EMERGENCY,
    Urgency.IMPAIRED: Priority.HIGH,
    Urgency.NORMAL: Priority.STANDARD,
    Urgency.QUESTION: Priority.LOW,
}

# field size limits of the public form (characters)
MAX_NAME = 50
MAX_DESCRIPTION = 1000
MIN_DESCRIPTION = 4
MAX_PHONE = 30
MAX_TICKET_NO = 40
MAX_PHOTO_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Abuse limits of the public pages (configurable defaults)."""

    per_token: int = 5  # reports per device link per window
    per_client: int = 10  # reports per client per window
    lookups_per_client: int = 20
    window_minutes: int = 60
    duplicate_minutes: int = 10  # the same report again within this is folded


DEFAULT_LIMITS = Limits()

# a report photo is kept this long after its ticket is closed or cancelled (a setting
# overrides it), then deleted: a customer's photos are personal data, kept no longer
# than the service and a warranty claim need them
PHOTO_KEEP_DAYS = 730
# a stored photo without its request row is an orphan (its transaction failed) once it
# is older than this: younger ones may belong to a request being written right now
ORPHAN_GRACE = dt.timedelta(hours=1)

_PHONE_JUNK = re.compile(r"[\s\-()（）]")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}\d{7,8}$")


def normalize_phone(raw: str | None) -> str | None:
    """A Chinese mobile (11 digits, 1[3-9]…) or landline with area code, digits only;
    None when it does not parse. ``+86``/``0086`` prefixes are dropped."""
    if not raw:
        return None
    s = _PHONE_JUNK.sub("", unicodedata.normalize("NFKC", raw).strip())
    if len(s) > MAX_PHONE:
        return None
    for prefix in ("+86", "0086"):
        if s.startswith(prefix):
            s = s[len(prefix) :]
    if _MOBILE.match(s) or _LANDLINE.match(s):
        return s
    return None


@dataclass(frozen=True)
class RepairForm:
    contact_name: str
    phone: str
    description: str
    urgency: str


def check_form(form: RepairForm) -> list[Problem]:
    """Every problem of a public repair request (field name + message code)."""
    problems = []
    name = form.contact_name.strip()
    if not name:
        problems.append(Problem("contact_name", "err.required"))
    elif len(name) > MAX_NAME:
        problems.append(Problem("contact_name", "err.too_long", {"max": MAX_NAME}))
    if not form.phone.strip():
        problems.append(Problem("phone", "err.required"))
    elif normalize_phone(form.phone) is None:
        problems.append(Problem("phone", "public.err.phone", {"value": form.phone[:MAX_PHONE]}))
    text = form.description.strip()
    if len(text) < MIN_DESCRIPTION:
        problems.append(Problem("description", "public.err.too_short", {"min": MIN_DESCRIPTION}))
    elif len(text) > MAX_DESCRIPTION:
        problems.append(Problem("description", "err.too_long", {"max": MAX_DESCRIPTION}))
    if form.urgency not in set(Urgency):
        problems.append(Problem("urgency", "err.required"))
    return problems


_PHOTO_MAGIC = (
    (b"\xff\xd8\xff", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
)


def photo_kind(data: bytes) -> str | None:
    """The image type by its first bytes (JPEG, PNG, WebP), not by its name; None else."""
    for magic, ext in _PHOTO_MAGIC:
        if data.startswith(magic):
            return ext
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def check_photo(data: bytes, max_bytes: int = MAX_PHOTO_BYTES) -> tuple[str | None, str | None]:
    """(extension, problem code): a photo is a JPEG/PNG/WebP of at most ``max_bytes``."""
    if len(data) > max_bytes:
        return None, "public.err.photo_size"
    kind = photo_kind(data)
    if kind is None:
        return None, "public.err.photo_type"
    return kind, None


def over_limit(times: Iterable[dt.datetime], now: dt.datetime, limit: int, minutes: int) -> bool:
    """Whether ``limit`` requests at ``times`` already fall in the last ``minutes``."""
    since = now - dt.timedelta(minutes=minutes)
    return sum(1 for t in times if since < t <= now) >= limit


def fingerprint(token: str, phone: str, description: str) -> str:
    """What makes two reports the same: the device link, the phone, the description
    (case, width and spacing folded)."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", description).casefold())
    phone_key = normalize_phone(phone) or phone
    return hashlib.sha256(f"{token}\x1f{phone_key}\x1f{text}".encode()).hexdigest()


def client_key(address: str | None) -> str | None:
    """A client's address, hashed: the log counts requests without keeping addresses."""
    if not address:
        return None
    return hashlib.sha256(f"aftersales-client\x1f{address}".encode()).hexdigest()


# what the customer is told comes next, by ticket status
NEXT_STEP: dict[Status, tuple[str, str]] = {
    Status.RECEIVED: ("客服将尽快与您联系确认故障", "Our service desk will contact you shortly"),
    Status.RESPONDED: ("工程师正在分析故障", "An engineer is looking into the fault"),
    Status.DIAGNOSING: ("工程师正在远程诊断", "An engineer is diagnosing remotely"),
    Status.DISPATCHED: ("已派工程师，将与您约定上门时间", "An engineer is assigned and will arrange a visit"),
    Status.ON_SITE: ("工程师正在现场处理", "The engineer is on site"),
    Status.WAITING_PARTS: ("等待备件到货", "Waiting for spare parts"),
    Status.WAITING_CUSTOMER: ("等待您的确认或配合", "Waiting for your confirmation"),
    Status.RETURNED_TO_FACTORY: ("设备/部件已返厂维修", "Returned to the factory for repair"),
    Status.REPAIRED: ("已修复，请确认验收", "Repaired: please confirm acceptance"),
    Status.ACCEPTED: ("已验收，稍后回访", "Accepted; we will follow up"),
    Status.CLOSED: ("已完成", "Completed"),
    Status.REOPENED: ("已重新处理", "Reopened and being handled again"),
    Status.CANCELLED: ("已取消", "Cancelled"),
}  # fmt: skip


def next_step(status: str, lang: str) -> str:
    pair = NEXT_STEP.get(Status(status), ("", ""))
    return pair[0] if lang == "zh" else pair[1]
