"""The pages over plain HTTP: signing in and out, CSRF, scopes, masking, the queue, a
warning's actions and conflicts, project pages, imports and scans.

Every response of the ``pages`` client is checked for a full ID number (RELIABILITY 24).
"""

from __future__ import annotations

import re
import time
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.api.conftest import World
from tests.web.conftest import Pages, csrf_of
from tests.web.payroll import payroll_files
from wage_guard.auth.service import get_user, revoke_tokens
from wage_guard.db import make_session_factory
from wage_guard.scan.orm import ScanRun


def _version(html: str) -> str:
    found = re.search(r'name="version" value="(\d+)"', html)
    assert found
    return found.group(1)


# -- signing in and out --------------------------------------------------------------------------


def test_a_page_without_a_session_goes_to_sign_in(pages: Pages, world: World) -> None:
    response = pages.get("/queue?level=red", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=%2Fqueue%3Flevel%3Dred"


def test_sign_in_sets_a_signed_http_only_lax_cookie(pages: Pages, world: World) -> None:
    form = pages.get("/sign-in")
    assert form.status_code == 200
    assert "登录" in form.text
    response = pages.post(
        "/sign-in",
        data={
            "token": world.tokens["inspector"],
            "next": "/queue",
            "csrf_token": csrf_of(form.text),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/queue"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert world.tokens["inspector"] not in response.headers["set-cookie"]
    assert pages.get("/queue").status_code == 200


def test_a_wrong_token_is_refused_on_the_sign_in_page(pages: Pages, world: World) -> None:
    form = pages.get("/sign-in")
    response = pages.post(
        "/sign-in", data={"token": "wg_nothing", "csrf_token": csrf_of(form.text)}
    )
    assert response.status_code == 401
    assert "令牌无效" in response.text


def test_sign_in_goes_only_to_a_local_page(pages: Pages, world: World) -> None:
    form = pages.get("/sign-in")
    response = pages.post(
        "/sign-in",
        data={
            "token": world.tokens["inspector"],
            "next": "//evil.example/",
            "csrf_token": csrf_of(form.text),
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


def test_sign_out_ends_the_session(pages: Pages, world: World) -> None:
    pages.sign_in(world, "inspector")
    csrf = pages.csrf("/queue")
    response = pages.post("/sign-out", data={"csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303
    assert pages.get("/queue", follow_redirects=False).status_code == 303


def test_a_revoked_token_ends_the_session(pages: Pages, world: World, engine: sa.Engine) -> None:
    pages.sign_in(world, "inspector")
    assert pages.get("/queue").status_code == 200
    with make_session_factory(engine)() as session, session.begin():
        revoke_tokens(session, user=get_user(session, name="inspector"))
    response = pages.get("/queue", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/sign-in")


def test_the_api_does_not_accept_the_pages_cookie(pages: Pages, world: World) -> None:
    pages.sign_in(world, "inspector")
    assert pages.get("/api/v1/alerts").status_code == 401


# -- CSRF ----------------------------------------------------------------------------------------


def test_a_post_without_the_csrf_token_is_403(pages: Pages, world: World) -> None:
    pages.get("/sign-in")
    response = pages.post("/sign-in", data={"token": world.tokens["inspector"]})
    assert response.status_code == 403
    pages.sign_in(world, "inspector")
    alert_id = world.alerts["P1"][0]
    page = pages.get(f"/alerts/{alert_id}").text
    version = _version(page)
    for csrf in ("", "forged"):
        response = pages.post(
            f"/alerts/{alert_id}/actions",
            data={"action": "acknowledge", "reason": "x", "version": version, "csrf_token": csrf},
        )
        assert response.status_code == 403
    assert pages.post("/sign-out", data={}).status_code == 403
    assert pages.get("/queue", follow_redirects=False).status_code == 200
    assert _version(pages.get(f"/alerts/{alert_id}").text) == version


# -- the queue -----------------------------------------------------------------------------------


def test_queue_counts_charts_and_filters(pages: Pages, world: World) -> None:
    pages.sign_in(world, "inspector")
    page = pages.get("/queue")
    assert page.status_code == 200
    assert "预警工作台" in page.text
    assert (
        'id="district-chart-data"' in page.text and "和平区" in page.text and "河西区" in page.text
    )
    total = len(world.alerts["P1"]) + len(world.alerts["P2"])
    counts = [int(n) for n in re.findall(r'id="count-\w+">(\d+)<', page.text)]
    assert sum(counts) == total
    only_p1 = pages.get("/queue?district=和平区&level=&rule=&month_from=")
    assert only_p1.status_code == 200
    assert "/projects/P1" in only_p1.text and 'href="/alerts/' in only_p1.text
    assert f'href="/alerts/{world.alerts["P2"][0]}"' not in only_p1.text
    assert pages.get("/queue?month_from=2026-13").status_code == 422


def test_queue_pages_with_limit_and_offset_links(pages: Pages, world: World) -> None:
    pages.sign_in(world, "inspector")
    first = pages.get("/queue?limit=20")
    assert 'rel="prev"' not in first.text
    page = pages.get("/queue?limit=1&offset=1")
    links = re.findall(r'href="(/queue\?[^"]*)" rel="(prev|next)"', page.text)
    assert ("/queue?limit=1&amp;offset=0", "prev") in links
    assert ("/queue?limit=1&amp;offset=2", "next") in links
    assert len(re.findall(r'class="alert-link"', page.text)) == 1


def test_queue_is_limited_to_the_scope(pages: Pages, world: World) -> None:
    pages.sign_in(world, "inspector_heping")
    page = pages.get("/queue").text
    assert "和平区" in page and "河西区" not in page
    pages.sign_in(world, "contractor1")
    page = pages.get("/queue").text
    assert "P1" in page and "/projects/P2" not in page


def test_a_bank_may_not_read_the_queue(pages: Pages, world: World) -> None:
    pages.sign_in(world, "bank1")
    assert pages.get("/").url.path == "/imports"
    response = pages.get("/queue")
    assert response.status_code == 403
    assert "无权访问" in response.text


# -- one warning ---------------------------------------------------------------------------------


def test_warning_detail_masks_the_workers(pages: Pages, world: World) -> None:
    pages.sign_in(world, "inspector")
    shown = [pages.get(f"/alerts/{alert_id}").text for alert_id in world.alerts["P1"]]
    assert all('id="history"' in page for page in shown)
    # The evidence lists workers: by masked number, never in full (the client checks too).
    assert any(re.search(r"120101\*+\w{4}", page) for page in shown)


def test_acknowledge_with_a_reason_then_a_stale_version_conflicts(
    pages: Pages, world: World
) -> None:
    pages.sign_in(world, "inspector")
    alert_id = world.alerts["P1"][0]
    page = pages.get(f"/alerts/{alert_id}").text
    version = _version(page)
    form = {"action": "acknowledge", "reason": "核查工资发放", "version": version}
    response = pages.post(
        f"/alerts/{alert_id}/actions",
        data={**form, "csrf_token": csrf_of(page)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    after = pages.get(response.headers["location"])
    assert "核查工资发放" in after.text.split('id="history"')[1]
    assert 'id="done"' in after.text
    assert int(_version(after.text)) == int(version) + 1
    stale = pages.post(
        f"/alerts/{alert_id}/actions",
        data={
            "action": "comment",
            "reason": "again",
            "version": version,
            "csrf_token": csrf_of(page),
        },
    )
    assert stale.status_code == 409
    assert "已被他人修改" in stale.text and f'href="/alerts/{alert_id}"' in stale.text


def test_an_action_needs_a_reason_and_a_snooze_a_date(pages: Pages, world: World) -> None:
    pages.sign_in(world, "inspector")
    alert_id = world.alerts["P1"][0]
    page = pages.get(f"/alerts/{alert_id}").text
    base = {"version": _version(page), "csrf_token": csrf_of(page)}
    no_reason = pages.post(
        f"/alerts/{alert_id}/actions", data={**base, "action": "resolve", "reason": " "}
    )
    assert no_reason.status_code == 422 and 'id="problem"' in no_reason.text
    no_date = pages.post(
        f"/alerts/{alert_id}/actions", data={**base, "action": "snooze", "reason": "wait"}
    )
    assert no_date.status_code == 422 and 'id="problem"' in no_date.text


def test_warnings_outside_the_scope_are_404_and_triage_is_for_inspectors(
    pages: Pages, world: World
) -> None:
    pages.sign_in(world, "contractor1")
    own, other = world.alerts["P1"][0], world.alerts["P2"][0]
    page = pages.get(f"/alerts/{own}")
    assert page.status_code == 200
    assert 'id="action-form"' not in page.text
    assert pages.get(f"/alerts/{other}").status_code == 404
    response = pages.post(
        f"/alerts/{own}/actions",
        data={
            "action": "resolve",
            "reason": "paid",
            "version": "1",
            "csrf_token": csrf_of(page.text),
        },
    )
    assert response.status_code == 403
    pages.sign_in(world, "inspector_heping")
    assert pages.get(f"/alerts/{other}").status_code == 404
    page = pages.get(f"/alerts/{own}").text
    response = pages.post(
        f"/alerts/{other}/actions",
        data={"action": "comment", "reason": "x", "version": "1", "csrf_token": csrf_of(page)},
    )
    assert response.status_code == 404
    assert pages.get("/alerts/999999").status_code == 404


# -- projects ------------------------------------------------------------------------------------


def test_project_page_and_its_scope(pages: Pages, world: World) -> None:
    pages.sign_in(world, "contractor1")
    page = pages.get("/projects/P1")
    assert page.status_code == 200
    for part in ('id="project-chart-data"', 'id="months"', "2026-01", "和平花园"):
        assert part in page.text
    assert pages.get("/projects/P2").status_code == 404
    listing = pages.get("/projects").text
    assert "/projects/P1" in listing and "/projects/P2" not in listing
    pages.sign_in(world, "inspector_heping")
    assert pages.get("/projects/P2").status_code == 404
    pages.sign_in(world, "bank1")
    assert pages.get("/projects/P1").status_code == 403


# -- imports -------------------------------------------------------------------------------------


def test_upload_a_payroll_with_an_error_then_its_fix(
    pages: Pages, world: World, tmp_path: Path
) -> None:
    bad, fixed = payroll_files(tmp_path)
    pages.sign_in(world, "contractor1")
    page = pages.get("/imports").text
    assert 'value="payroll"' in page and 'value="escrow"' not in page

    def upload(path: Path) -> TestClient:
        with path.open("rb") as file:
            return pages.post(
                "/imports",
                data={"kind": "payroll", "csrf_token": csrf_of(page)},
                files={"file": (path.name, file, "text/csv")},
            )

    refused = upload(bad)
    assert refused.status_code == 200
    assert "已拒绝" in refused.text
    table = refused.text.split('id="row-errors"')[1]
    assert '<td class="num">3</td><td>wage_paid</td>' in table
    batch = re.search(r'href="/imports/(\d+)/errors.csv"', refused.text)
    assert batch
    csv_text = pages.get(f"/imports/{batch.group(1)}/errors.csv")
    assert csv_text.status_code == 200
    assert csv_text.headers["content-type"].startswith("text/csv")
    assert "3,wage_paid" in csv_text.text
    accepted = upload(fixed)
    assert "已导入" in accepted.text and 'id="row-errors"' not in accepted.text
    assert "payroll-fixed.csv" in pages.get("/imports").text
    assert "payroll-fixed.csv" in pages.get("/projects/P1").text

    pages.sign_in(world, "contractor2")
    assert pages.get(f"/imports/{batch.group(1)}").status_code == 404
    assert "payroll-bad.csv" not in pages.get("/imports").text


def test_an_upload_of_a_kind_the_role_may_not_send_is_403(
    pages: Pages, world: World, tmp_path: Path
) -> None:
    bad, _ = payroll_files(tmp_path)
    pages.sign_in(world, "bank1")
    page = pages.get("/imports").text
    assert 'value="escrow"' in page and 'value="payroll"' not in page
    response = pages.post(
        "/imports",
        data={"kind": "payroll", "csrf_token": csrf_of(page)},
        files={"file": (bad.name, bad.read_bytes(), "text/csv")},
    )
    assert response.status_code == 403


# -- scans and language --------------------------------------------------------------------------


def test_scans_page_lists_runs_for_inspectors_only(pages: Pages, world: World) -> None:
    pages.sign_in(world, "inspector")
    page = pages.get("/scans")
    assert page.status_code == 200
    assert "succeeded" in page.text and 'id="run-now"' in page.text
    pages.sign_in(world, "contractor1")
    assert pages.get("/scans").status_code == 403
    response = pages.post("/scans", data={"csrf_token": pages.csrf("/queue")})
    assert response.status_code == 403


def test_run_a_scan_now_and_not_while_one_runs(
    pages: Pages, world: World, engine: sa.Engine
) -> None:
    pages.sign_in(world, "inspector")
    csrf = pages.csrf("/scans")
    response = pages.post("/scans", data={"csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303
    deadline = time.monotonic() + 60
    while True:
        with engine.connect() as connection:
            statuses = connection.execute(sa.select(ScanRun.status)).scalars().all()
        if len(statuses) == 2 and "running" not in statuses:
            break
        assert time.monotonic() < deadline, statuses
        time.sleep(0.2)
    assert "inspector" in pages.get("/scans").text.split('id="runs"')[1]
    with engine.begin() as connection:
        connection.execute(sa.insert(ScanRun).values(as_of=date(2026, 3, 2), status="running"))
    refused = pages.post("/scans", data={"csrf_token": csrf})
    assert refused.status_code == 409
    assert 'role="alert"' in refused.text


def test_english_switch(pages: Pages, world: World) -> None:
    pages.sign_in(world, "inspector")
    response = pages.get("/language/en?next=/queue")
    assert response.url.path == "/queue"
    assert "Warning queue" in response.text and 'lang="en"' in response.text
    assert "预警工作台" in pages.get("/language/zh?next=/queue").text


def test_bad_addresses_answer_pages_not_json(pages: Pages, world: World) -> None:
    pages.sign_in(world, "inspector")
    for path in ("/alerts/abc", "/alerts/0", "/projects?offset=-1", "/queue?limit=100000"):
        response = pages.get(path)
        assert response.status_code == 422, path
        assert response.headers["content-type"].startswith("text/html")
    missing = pages.get("/imports/999999")
    assert missing.status_code == 404 and "未找到" in missing.text
