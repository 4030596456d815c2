"""Pure rules of notifications and deep links: wording, retries, robot payloads, links."""

from __future__ import annotations

import datetime as dt

import pytest

from rules import notifications as N
from rules.access import Page
from rules.links import DeepLink, link_url, parse_link, parse_query

NOW = dt.datetime(2026, 11, 23, 10, 0)


@pytest.mark.parametrize(
    ("attempts", "seconds"),
    [(1, 60), (2, 120), (3, 240), (4, 480), (6, 1920), (7, 3600), (12, 3600), (0, 60)],
)
def test_backoff_doubles_up_to_an_hour(attempts, seconds):
    assert N.backoff(attempts) == dt.timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("attempts", "max_attempts", "status", "next_at"),
    [
        (1, 5, "pending", NOW + dt.timedelta(minutes=1)),
        (4, 5, "pending", NOW + dt.timedelta(minutes=8)),
        (5, 5, "failed", NOW),
        (1, 1, "failed", NOW),
        (6, 5, "failed", NOW),
    ],
)
def test_after_failure(attempts, max_attempts, status, next_at):
    assert N.after_failure(attempts, max_attempts, NOW) == (status, next_at)


T1 = {"ticket_no": "SR-1", "customer": "华东精密", "engineer": "王伟", "fault": "异响"}


@pytest.mark.parametrize(
    ("kind", "params", "lang", "subject", "body"),
    [
        ("ticket_assigned", T1, "zh", "工单 SR-1 已派给 王伟", "客户：华东精密\n故障：异响"),
        ("ticket_assigned", T1, "en", "Ticket SR-1 assigned to 王伟",
         "Customer: 华东精密\nFault: 异响"),
        ("ticket_escalated", {"ticket_no": "SR-1", "customer": "A", "level": 3}, "en",
         "Ticket SR-1 escalated to level 3", "Customer: A"),
        ("sla_at_risk", {"ticket_no": "SR-1", "customer": "A", "clock": "respond",
                         "due": "2026-11-23 11:00"}, "zh",
         "工单 SR-1 即将超出响应时限", "客户：A\n响应截止：2026-11-23 11:00"),
        ("sla_at_risk", {"ticket_no": "SR-1", "customer": "A", "clock": "resolve",
                         "due": "2026-11-23 11:00"}, "en",
         "Ticket SR-1 is about to miss its resolution deadline",
         "Customer: A\nresolution due: 2026-11-23 11:00"),
        ("visit_overdue", {"visit_no": "MV-7", "customer": "A", "due": "2026-11-20"}, "en",
         "Maintenance visit MV-7 is overdue", "Customer: A\nPlanned for: 2026-11-20"),
        ("part_low", {"part_no": "0042", "name": "轴承", "on_hand": 1, "reorder_point": 5}, "zh",
         "备件 0042 低于再订货点", "轴承：库存 1，再订货点 5"),
        ("cert_expiring", {"person": "王伟", "course": "安全", "expires": "2026-12-20"}, "en",
         "王伟's certificate expires on 2026-12-20", "Course: 安全"),
        # an unknown kind or a missing parameter shows codes and placeholders, never fails
        ("no_such_kind", {}, "en", "notify.no_such_kind.subject", "notify.no_such_kind.body"),
        ("ticket_escalated", {"ticket_no": "SR-1"}, "en",
         "Ticket SR-1 escalated to level {level}", "Customer: {customer}"),
    ],
)  # fmt: skip
def test_compose(kind, params, lang, subject, body):
    message = N.compose(kind, params, lang, None)
    assert (message.subject, message.body) == (subject, body)


def test_every_kind_is_worded_in_both_languages():
    from rules.i18n import CATALOGUE

    for kind in N.Kind:
        for part in ("subject", "body"):
            zh, en = CATALOGUE[f"notify.{kind}.{part}"]
            assert zh and en and zh != en


def test_robot_markdown_escapes_user_text_and_carries_the_link():
    message = N.Message(
        "工单 SR-1", "客户：[x](http://evil) **b**", "https://d/tickets?ticket=SR-1"
    )
    assert N.wecom_payload(message, "en") == {
        "msgtype": "markdown",
        "markdown": {
            "content": "**工单 SR-1**\n\n客户：\\[x\\](http://evil) \\*\\*b\\*\\*"
            "\n\n[Open the record](https://d/tickets?ticket=SR-1)"
        },
    }
    ding = N.dingtalk_payload(message, "zh")
    assert ding["msgtype"] == "markdown" and ding["markdown"]["title"] == "工单 SR-1"
    assert ding["markdown"]["text"].endswith("[打开记录](https://d/tickets?ticket=SR-1)")
    assert N.email_text(message, "en").endswith(
        "\n\nOpen the record: https://d/tickets?ticket=SR-1"
    )


def test_dingtalk_signature_matches_a_fixed_vector():
    # computed once by hand: HMAC-SHA256(key=secret, msg="1700000000000\nSECxyz"), base64
    url = N.dingtalk_signed_url("https://oapi.dingtalk.com/robot/send?access_token=abc",
                                "SECxyz", 1_700_000_000_000)  # fmt: skip
    assert url == (
        "https://oapi.dingtalk.com/robot/send?access_token=abc&timestamp=1700000000000"
        "&sign=0PUR1j8g85Xg3vlFV%2FUrEcxXfF5HpCAGzcjrNfyJoyg%3D"
    )
    assert N.dingtalk_signed_url("http://h/x", "s", 1).startswith("http://h/x?timestamp=1&sign=")


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (200, b'{"errcode":0,"errmsg":"ok"}', None),
        (200, b"", None),
        (500, b"", "HTTP 500"),
        (404, b'{"errcode":0}', "HTTP 404"),
        (200, b'{"errcode":93000,"errmsg":"invalid webhook url"}',
         "errcode 93000: invalid webhook url"),
        (200, b"<html>", "HTTP 200: not JSON"),
    ],
)  # fmt: skip
def test_webhook_error(status, body, error):
    assert N.webhook_error(status, body) == error


@pytest.mark.parametrize(
    ("params", "link"),
    [
        ({"ticket": "SR-20261123-0001"}, DeepLink("ticket", "SR-20261123-0001")),
        ({"customer": " C001 "}, DeepLink("customer", "C001")),
        ({"customer": ["C001", "C002"]}, DeepLink("customer", "C001")),
        ({"part": "0042"}, DeepLink("part", "0042")),  # leading zeros stay
        ({"ticket": ""}, None),
        ({"ticket": "x" * 81}, None),
        ({"ticket": "SR\n1"}, None),
        ({"other": "1"}, None),
        ({}, None),
    ],
)
def test_parse_link(params, link):
    assert parse_link(params) == link


@pytest.mark.parametrize(
    ("base", "link", "url"),
    [
        ("https://desk.example.com/", DeepLink("ticket", "SR-1"), "https://desk.example.com/tickets?ticket=SR-1"),
        ("", DeepLink("customer", "C 01&x"), "/customers?customer=C+01%26x"),
        (None, DeepLink("visit", "MV-1"), "/maintenance?visit=MV-1"),
    ],
)  # fmt: skip
def test_link_url(base, link, url):
    assert link_url(base, link) == url


def test_a_link_names_its_page_and_reads_back_from_its_query():
    link = DeepLink("complaint", "CP-1")
    assert link.page is Page.COMPLAINTS
    assert parse_query(link.query) == link and parse_query(None) is None
