"""Fault codes, knowledge base and scan-to-report: the pure rules, as tables."""

from __future__ import annotations

import datetime as dt

import pytest

from rules.faultcodes import (
    ARTICLES,
    FAULT_CODES,
    ArticleStatus,
    Candidate,
    MarkdownIssue,
    RepairForm,
    ReviewStatus,
    article_may_become,
    check_form,
    check_photo,
    fingerprint,
    match,
    normalize_lists,
    normalize_phone,
    over_limit,
    review_due,
    review_status,
    safe_markdown,
    split_list,
    tokens,
)
from rules.fields import validate_row

TODAY = dt.date(2026, 11, 23)


@pytest.mark.parametrize(
    ("reviewed", "expected_due", "expected"),
    [
        (None, None, ReviewStatus.OVERDUE),  # never reviewed
        (dt.date(2025, 11, 22), dt.date(2026, 11, 22), ReviewStatus.OVERDUE),  # a day late
        (dt.date(2025, 11, 23), dt.date(2026, 11, 23), ReviewStatus.DUE),  # due today
        (dt.date(2025, 12, 23), dt.date(2026, 12, 23), ReviewStatus.DUE),  # 30 days left
        (dt.date(2025, 12, 24), dt.date(2026, 12, 24), ReviewStatus.OK),  # 31 days left
        (dt.date(2026, 11, 1), dt.date(2027, 11, 1), ReviewStatus.OK),
        (dt.date(2024, 2, 29), dt.date(2025, 2, 28), ReviewStatus.OVERDUE),  # leap day
    ],
)
def test_review_at_least_yearly(reviewed, expected_due, expected):
    assert review_due(reviewed) == expected_due
    assert review_status(reviewed, TODAY) is expected


def test_review_interval_and_warning_are_parameters():
    assert review_status(dt.date(2026, 6, 1), TODAY, months=6) is ReviewStatus.DUE
    assert review_status(dt.date(2026, 6, 1), TODAY, months=6, warn_days=5) is ReviewStatus.OK


@pytest.mark.parametrize(
    ("text", "items"),
    [
        (None, []),
        ("", []),
        ("VMC-850", ["VMC-850"]),
        ("VMC-850，VMC-1160、 HMC-630", ["VMC-850", "VMC-1160", "HMC-630"]),
        ("A; B;；A\nC", ["A", "B", "C"]),  # repeats go, order stays
        ("ＶＭＣ－８５０", ["VMC-850"]),  # full width folds
        ("000108, 000115", ["000108", "000115"]),  # leading zeros stay
    ],
)
def test_split_list(text, items):
    assert split_list(text) == items


def test_lists_are_kept_in_one_spelling():
    values = {"models": "VMC-850，VMC-1160、VMC-850", "parts": " 000108 ", "tags": None}
    normalize_lists(values)
    assert values == {"models": "VMC-850, VMC-1160", "parts": "000108", "tags": None}


def test_too_many_list_items_is_a_problem():
    row = {"code": "E1", "name_zh": "x", "models": ",".join(f"M{i}" for i in range(41))}
    _, problems = validate_row(FAULT_CODES, row)
    assert [(p.field, p.code) for p in problems] == [("models", "faultcodes.err.too_many")]


def test_article_needs_title_body_and_a_known_status():
    _, problems = validate_row(ARTICLES, {"code": "KB1", "status": "草稿"})
    assert sorted(p.field for p in problems) == ["body_zh", "title_zh"]
    clean, problems = validate_row(
        ARTICLES, {"code": "KB1", "title_zh": "t", "body_zh": "b", "status": "已发布"}
    )
    assert problems == [] and clean["status"] == ArticleStatus.PUBLISHED


@pytest.mark.parametrize(
    ("current", "wanted", "allowed"),
    [
        ("draft", "published", True),
        ("draft", "retired", True),
        ("published", "retired", True),
        ("published", "draft", True),
        ("retired", "published", True),
        ("retired", "draft", False),
    ],
)
def test_article_transitions(current, wanted, allowed):
    assert article_may_become(current, wanted) is allowed


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("E101", {"e101"}),
        ("主轴异响", {"主轴", "轴异", "异响"}),
        ("设备故障", set()),  # stop words only
        ("X 轴 ALM-9011 报警", {"alm-9011"}),
        ("", set()),
    ],
)
def test_tokens(text, expected):
    assert tokens(text) == expected


CANDIDATES = [
    Candidate(
        "E101", "E101 主轴驱动器过载报警 主轴启动时报警过载", ("VMC-850", "VMC-1160"), ("E101",)
    ),
    Candidate("M201", "M201 主轴异响 主轴高速运转时有明显异响", ("VMC-850",), ("M201",)),
    Candidate("P601", "P601 排气温度过高 空压机排气温度超过 105℃ 停机", ("AC-37",), ("P601",)),
    Candidate("C402", "C402 PLC 通讯中断 触摸屏显示与 PLC 通讯中断", (), ("C402",)),
]


@pytest.mark.parametrize(
    ("description", "model", "keys"),
    [
        ("主轴高速时异响很大", "VMC-850", ["M201", "E101"]),  # shares 主轴 with E101 too
        ("主轴高速时异响很大", "AC-37", []),  # neither code is for an air compressor
        ("空压机排气温度过高停机", "AC-37", ["P601"]),
        ("空压机排气温度过高停机", None, ["P601"]),  # model unknown: every code may fit
        ("屏幕提示 PLC 通讯中断", "AC-37", ["C402"]),  # a code for any model
        ("报警 e101，无法启动", "VMC-1160", ["E101"]),  # the code itself named
        ("", "VMC-850", []),
    ],
)
def test_match(description, model, keys):
    assert [m.key for m in match(description, model, CANDIDATES)] == keys


def test_match_prefers_the_device_model_and_a_named_code():
    plain = match("主轴异响", None, CANDIDATES)
    on_model = match("主轴异响", "VMC-850", CANDIDATES)
    assert on_model[0].key == plain[0].key == "M201"
    assert on_model[0].score == pytest.approx(plain[0].score * 1.5)
    assert match("E101 主轴异响", "VMC-850", CANDIDATES)[0].key == "E101"
    assert len(match("主轴", None, CANDIDATES, limit=1)) == 1


@pytest.mark.parametrize(
    ("text", "expected", "issues"),
    [
        ("**粗体** 与列表\n- 一\n- 二", "**粗体** 与列表\n- 一\n- 二", []),
        ("![示意图](https://evil.example/x.png)", "［示意图］", [MarkdownIssue.IMAGE]),
        ("![](http://t.example/p.gif)", "［图片 image］", [MarkdownIssue.IMAGE]),
        ("![a][r]\n[r]: https://evil.example/x.png", "［a］\n", [MarkdownIssue.IMAGE]),
        (
            "<img src=x onerror=alert(1)>",
            "&lt;img src=x onerror=alert(1)&gt;",
            [MarkdownIssue.HTML],
        ),
        (
            "<script>alert(1)</script>",
            "&lt;script&gt;alert(1)&lt;/script&gt;",
            [MarkdownIssue.HTML],
        ),
        ("[手册](https://example.com/m.pdf)", "[手册](https://example.com/m.pdf)", []),
        ("[点我](javascript:alert(1))", "点我)", [MarkdownIssue.LINK]),
        ("<javascript:alert(1)>", "javascript\\:alert(1)", [MarkdownIssue.LINK]),
        ("<https://example.com>", "https://example.com", []),
        ("温度 < 55℃ & 压力 > 0.6", "温度 &lt; 55℃ &amp; 压力 &gt; 0.6", []),
        ("", "", []),
    ],
)
def test_safe_markdown(text, expected, issues):
    assert safe_markdown(text) == (expected, issues)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("0086 13812345678", "13812345678"),
        ("021-55551234", "02155551234"),
        ("0755-2888 1234", "075528881234"),
        ("１３８１２３４５６７８", "13812345678"),  # full width
        ("12812345678", None),  # no such mobile prefix
        ("1381234567", None),  # ten digits
        ("55551234", None),  # landline without area code
        ("abc", None),
        ("", None),
        ("1" * 40, None),
    ],
)
def test_normalize_phone(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    ("form", "problems"),
    [
        (RepairForm("张伟", "13812345678", "主轴异响停机", "down"), []),
        (RepairForm("", "13812345678", "主轴异响停机", "down"), [("contact_name", "err.required")]),
        (
            RepairForm("张" * 51, "13812345678", "主轴异响停机", "down"),
            [("contact_name", "err.too_long")],
        ),
        (RepairForm("张伟", "12345", "主轴异响停机", "down"), [("phone", "public.err.phone")]),
        (RepairForm("张伟", " ", "主轴异响停机", "down"), [("phone", "err.required")]),
        (
            RepairForm("张伟", "13812345678", "坏了", "down"),
            [("description", "public.err.too_short")],
        ),
        (RepairForm("张伟", "13812345678", "坏" * 1001, "down"), [("description", "err.too_long")]),
        (RepairForm("张伟", "13812345678", "主轴异响停机", "now!"), [("urgency", "err.required")]),
    ],
)
def test_check_form(form, problems):
    assert [(p.field, p.code) for p in check_form(form)] == problems


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\xff\xd8\xff\xe0" + b"0" * 100, ("jpg", None)),
        (b"\x89PNG\r\n\x1a\n" + b"0" * 100, ("png", None)),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", ("webp", None)),
        (b"GIF89a" + b"0" * 100, (None, "public.err.photo_type")),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", (None, "public.err.photo_type")),
        (b"MZ\x90\x00", (None, "public.err.photo_type")),  # an executable named .jpg
        (b"\xff\xd8\xff" + b"0" * 2000, (None, "public.err.photo_size")),  # over the limit
    ],
)
def test_check_photo(data, expected):
    assert check_photo(data, max_bytes=1000) == expected


NOW = dt.datetime(2026, 11, 23, 10, 0)


@pytest.mark.parametrize(
    ("minutes_ago", "limit", "limited"),
    [
        ([], 1, False),
        ([5], 1, True),
        ([5, 10, 20], 3, True),
        ([5, 10, 61], 3, False),  # one is outside the hour
        ([60], 1, False),  # exactly an hour ago: outside
        ([59], 1, True),
    ],
)
def test_over_limit(minutes_ago, limit, limited):
    times = [NOW - dt.timedelta(minutes=m) for m in minutes_ago]
    assert over_limit(times, NOW, limit, 60) is limited


def test_fingerprint_folds_spacing_case_and_phone_spelling():
    a = fingerprint("tok", "138 1234 5678", "主轴 异响 ALM")
    assert a == fingerprint("tok", "+8613812345678", "主轴异响alm")
    assert a != fingerprint("other", "13812345678", "主轴异响alm")
    assert a != fingerprint("tok", "13812345679", "主轴异响alm")
    assert a != fingerprint("tok", "13812345678", "主轴异响停机")


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (dt.date(2026, 11, 23), dt.date(2025, 11, 23)),
        (dt.date(2025, 2, 28), dt.date(2024, 2, 28)),  # Feb 29 2024 is due Feb 28 2025 too
        (dt.date(2025, 3, 1), dt.date(2024, 3, 1)),
        (dt.date(2028, 2, 29), dt.date(2027, 3, 1)),  # nobody's review is due Feb 29 before
    ],
)
def test_first_reviewed_on(target, expected):
    from rules.faultcodes import first_reviewed_on

    assert first_reviewed_on(target) == expected
    assert review_due(expected) >= target > review_due(expected - dt.timedelta(days=1))


def test_every_message_code_of_this_domain_is_in_the_catalogue():
    import pathlib
    import re

    from rules.i18n import CATALOGUE

    files = ["rules/faultcodes.py", "data_access/faultcodes.py", "data_access/knowledge.py",
             "data_access/public_intake.py", "pages/knowledge.py", "pages/public_report.py",
             "pages/device_links.py", "pages/tickets.py"]  # fmt: skip
    pattern = r'"((?:faultcodes|public|knowledge|qr|tickets\.fault)\.[a-z_.]+)"'
    codes = {c for f in files for c in re.findall(pattern, pathlib.Path(f).read_text())}
    assert len(codes) > 40
    assert codes <= CATALOGUE.keys(), codes - CATALOGUE.keys()
