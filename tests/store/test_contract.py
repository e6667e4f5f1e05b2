"""The store contract: what every ``Store`` does, run against each implementation (``conftest.STORES``).

A restart is a second store opened on the same database (``open_store()``).
"""

from __future__ import annotations

import random
from contextlib import closing
from types import MappingProxyType

import pytest

from projector.core.model import Action, Brand, Campaign, Case, CaseStatus, Channel, Totals
from projector.store import security
from projector.store.base import Store
from projector.store.media import MediaRecord
from tests.store.support import StoreFactory, act

# --- opening ------------------------------------------------------------------------


def test_reopening_keeps_the_schema_and_data(open_store: StoreFactory) -> None:
    with closing(open_store()) as s:
        s.record_actions([[act("a")]], 1.0)
    with closing(open_store()) as s:
        assert s.action_count() == 1


# --- recording and duplicates -------------------------------------------------------------


def test_a_repeated_id_within_a_batch_counts_once(store: Store) -> None:
    [result] = store.record_actions([[act("a"), act("a"), act("b")]], 1.0)
    assert [a.id for a in result.accepted] == ["a", "b"]
    assert result.duplicates == 1 and result.error is None
    assert store.load_totals().total == 2


def test_a_repeated_id_across_batches_of_one_call_counts_once(store: Store) -> None:
    first, second = store.record_actions([[act("a"), act("b")], [act("b"), act("c")]], 1.0)
    assert [a.id for a in first.accepted] == ["a", "b"] and first.duplicates == 0
    assert [a.id for a in second.accepted] == ["c"] and second.duplicates == 1


def test_a_retry_after_a_restart_counts_once(open_store: StoreFactory) -> None:
    with closing(open_store()) as s:
        s.record_actions([[act("a", 3), act("b")]], 1.0)
    with closing(open_store()) as s:
        [result] = s.record_actions([[act("a", 3), act("b"), act("c")]], 2.0)
        assert [a.id for a in result.accepted] == ["c"] and result.duplicates == 2
        assert s.load_totals().total == 5


def test_an_empty_batch_is_fine(store: Store) -> None:
    assert store.record_actions([[]], 1.0)[0].accepted == ()
    assert store.record_actions([], 1.0) == []


def test_an_action_that_is_not_an_action_refuses_only_its_batch(store: Store) -> None:
    # Ignored type error: a string among the actions is the malformed input under test
    bad, good = store.record_actions([[act("x"), "oops"], [act("y")]], 1.0)  # type: ignore[list-item]
    assert bad.error is not None and "invalid action" in bad.error
    assert [a.id for a in good.accepted] == ["y"]


def test_a_count_beyond_64_bits_refuses_its_batch(store: Store) -> None:
    [result] = store.record_actions([[act("a"), act("huge", count=2**70)]], 1.0)
    assert result.error is not None
    assert store.action_count() == 0


def test_a_count_below_one_refuses_only_its_batch(store: Store) -> None:
    first, bad, last = store.record_actions([[act("a")], [act("b"), act("zero", count=0)], [act("b")]], 1.0)
    assert [a.id for a in first.accepted] == ["a"]
    assert bad.error is not None and bad.accepted == ()
    assert [a.id for a in last.accepted] == ["b"]  # the refused batch's "b" was never stored
    assert store.load_totals().total == 2


# --- totals ---------------------------------------------------------------------------------


def random_actions(n: int, seed: int = 7) -> list[Action]:
    rng = random.Random(seed)
    channels = list(Channel)
    return [
        act(
            f"id-{rng.randrange(n // 2)}",  # plenty of repeats
            count=rng.choice([1, 1, 1, 2, 50]),
            channel=rng.choice(channels),
            country=rng.choice(["DE", "FR", "KH", "MM", "ET"]),
            case=rng.choice([None, "case-a", "case-b"]),
        )
        for _ in range(n)
    ]


def test_totals_after_a_restart_equal_the_totals_before(open_store: StoreFactory) -> None:
    actions = random_actions(3000)
    expected = Totals()
    with closing(open_store()) as s:
        for start in range(0, len(actions), 250):
            for result in s.record_actions([actions[start : start + 250]], float(start)):
                expected = expected.add(result.accepted)
        before = s.load_totals()
    with closing(open_store()) as s:
        after = s.load_totals()
    assert before == expected
    assert after == before
    assert after.total == sum(a.count for a in {a.id: a for a in reversed(actions)}.values())


def test_totals_of_an_empty_log(store: Store) -> None:
    assert store.load_totals() == Totals()


def test_record_beaten_at_is_when_the_running_total_first_exceeded_it(store: Store) -> None:
    store.record_actions([[act("a", 5)]], 100.0)
    [second] = store.record_actions([[act("b", 5)]], 200.0)
    assert second.received_at == 200.0
    store.record_actions([[act("c", 5)]], 300.0)
    assert store.record_beaten_at(9) == 200.0
    assert store.record_beaten_at(10) == 300.0  # equalling is not beating
    assert store.record_beaten_at(14) == 300.0
    assert store.record_beaten_at(15) is None
    assert store.record_beaten_at(0) is None


def test_actions_per_hour_groups_by_hour_and_channel(store: Store) -> None:
    store.record_actions([[act("a", 2), act("b", channel=Channel.SMS)]], 7200.0 + 10)
    store.record_actions([[act("c")]], 7200.0 + 3599)
    store.record_actions([[act("d")]], 10800.0)
    store.record_actions([[act("old")]], 10.0)
    assert store.action_count() == 5
    assert store.actions_per_hour(since=3600.0) == [
        (7200, "letter", 3),
        (7200, "sms", 1),
        (10800, "letter", 1),
    ]


# --- settings, campaign, cases -----------------------------------------------------------------


def test_settings_and_campaign_survive_a_restart(open_store: StoreFactory) -> None:
    with closing(open_store()) as s:
        assert s.load_campaign() is None and s.get_setting("x") is None
        s.set_setting("x", "1")
        s.set_setting("x", "2")
        s.save_campaign(Campaign("Write for Rights 2026", goal=100_000, record=80_000))
    with closing(open_store()) as s:
        assert s.get_setting("x") == "2"
        assert s.load_campaign() == Campaign("Write for Rights 2026", goal=100_000, record=80_000)


def test_the_brand_kit_and_layouts_survive_a_restart(open_store: StoreFactory) -> None:
    brand = Brand(background="#102030", text="#fafafa", accent="#ff5500", font="noto-sans", logo="a" * 64)
    layouts = MappingProxyType({"countdown": "regions = []\n# «ça»"})
    campaign = Campaign("Write for Rights", brand=brand, layouts=layouts)
    with closing(open_store()) as s:
        s.save_campaign(Campaign("Write for Rights"))
        assert s.load_campaign() == Campaign("Write for Rights")  # the house look, no layouts
        s.save_campaign(campaign)
    with closing(open_store()) as s:
        assert s.load_campaign() == campaign


def test_a_setting_can_be_deleted(store: Store) -> None:
    store.set_setting("outputs/lobby", "[]")
    store.set_setting("outputs/hall", "[]")
    assert store.delete_setting("outputs/lobby") is True
    assert store.delete_setting("outputs/lobby") is False
    assert store.get_setting("outputs/lobby") is None and store.get_setting("outputs/hall") == "[]"


def test_cases_upsert_list_get_delete(store: Store) -> None:
    a = Case("case-a", "Ana", "MX", story="s", ask="free her")
    b = Case("case-b", "Bo", "KH", portrait="bo.jpg")
    store.upsert_case(a)
    store.upsert_case(b)
    released = Case("case-a", "Ana", "MX", story="s", ask="free her", status=CaseStatus.RELEASED)
    store.upsert_case(released)
    assert store.list_cases() == [released, b]  # an update keeps its place
    assert store.get_case("case-b") == b and store.get_case("nobody") is None
    assert store.delete_case("case-a") is True
    assert store.delete_case("case-a") is False
    assert store.list_cases() == [b]


# --- tokens ----------------------------------------------------------------------------------------


def test_tokens_are_created_verified_listed_and_revoked(store: Store) -> None:
    token_id, secret = store.create_token("ingest", "petition site", 50.0)
    assert secret.startswith("pj_") and len(secret) > 40
    info = store.verify_token(secret)
    assert info is not None
    assert (info.id, info.scope, info.label, info.created_at, info.revoked) == (
        token_id,
        "ingest",
        "petition site",
        50.0,
        False,
    )
    assert secret.startswith(info.prefix) and len(info.prefix) < 16
    store.touch_token(token_id, 60.0)
    assert store.list_tokens()[0].last_used_at == 60.0
    assert store.revoke_token(token_id) is True
    assert store.revoke_token(token_id) is False
    assert store.verify_token(secret) is None
    assert store.list_tokens()[0].revoked is True


def test_unknown_tokens_are_refused(store: Store) -> None:
    store.create_token("display", "lobby", 1.0)
    assert store.verify_token("pj_" + "x" * 43) is None
    assert store.verify_token("") is None
    assert store.verify_token("pj_" * 1000) is None


def test_an_unknown_scope_is_named_in_the_error(store: Store) -> None:
    with pytest.raises(ValueError, match="'superuser'"):
        store.create_token("superuser", "x", 1.0)


# --- users and sessions ----------------------------------------------------------------------------


def test_passwords_are_checked(store: Store) -> None:
    assert not store.has_users()
    user = store.create_user("Maria", "s3cret-enough", "operator", 10.0)
    assert store.has_users()
    assert store.authenticate("Maria", "s3cret-enough") == user
    assert store.authenticate("maria", "s3cret-enough") == user  # names ignore case
    assert store.authenticate("Maria", "wrong") is None
    assert store.authenticate("nobody", "s3cret-enough") is None
    assert store.get_user("Maria") == user and store.get_user("nobody") is None


def test_the_store_keeps_hashes_made_elsewhere(store: Store) -> None:
    # The server hashes on its own pool; the store only reads and writes the hash.
    user = store.create_user_hashed("Ana", security.hash_password("pw-of-ana"), "admin", 1.0)
    found = store.login_record("ana")  # names ignore case here too
    assert found is not None and found[0] == user
    assert security.verify_password("pw-of-ana", found[1])
    assert store.login_record("nobody") is None
    stronger = security.hash_password("pw-of-ana")
    assert store.replace_password_hash("Ana", "scrypt$not-the-current-hash", stronger) is False
    assert store.replace_password_hash("Ana", found[1], stronger) is True
    assert store.login_record("Ana") == (user, stronger)
    with pytest.raises(ValueError, match="already exists"):
        store.create_user_hashed("ANA", stronger, "viewer", 2.0)
    with pytest.raises(ValueError, match="'root'"):
        store.create_user_hashed("bo", stronger, "root", 2.0)


def test_user_rules(store: Store) -> None:
    store.create_user("ana", "pw-one", "admin", 1.0)
    with pytest.raises(ValueError, match="already exists"):
        store.create_user("ANA", "pw-two", "viewer", 2.0)
    with pytest.raises(ValueError, match="'root'"):
        store.create_user("bo", "pw", "root", 2.0)
    with pytest.raises(ValueError, match="username"):
        store.create_user("", "pw", "viewer", 2.0)
    with pytest.raises(ValueError, match="password"):
        store.create_user("bo", "", "viewer", 2.0)
    assert [u.username for u in store.list_users()] == ["ana"]


def test_a_new_password_works_and_ends_old_sessions(store: Store) -> None:
    store.create_user("ana", "old-password", "admin", 1.0)
    session, _ = store.create_session("ana", 1.0, 3600)
    assert store.set_password("ana", "new-password") is True
    assert store.authenticate("ana", "old-password") is None
    assert store.authenticate("ana", "new-password") is not None
    assert store.get_session(session, 2.0) is None
    assert store.set_password("nobody", "x") is False


def test_logout_and_unknown_sessions(store: Store) -> None:
    store.create_user("ana", "pw-of-ana", "viewer", 1.0)
    secret, _ = store.create_session("ana", 1.0, 60)
    store.delete_session(secret)
    assert store.get_session(secret, 2.0) is None
    assert store.get_session("made-up", 2.0) is None
    with pytest.raises(ValueError, match="nobody"):
        store.create_session("nobody", 1.0, 60)


# --- messages ---------------------------------------------------------------------------------------


def add(store: Store, message_id: str, now: float, text: str = "Stay strong") -> None:
    store.add_message(message_id, text, "Lea", "FR", "fr", "web", None, now)


def test_messages_wait_for_moderation(store: Store) -> None:
    stored = store.add_message("m1", "Courage !", "Lea", "FR", "fr", "sms", "+33600000000", 10.0)
    assert (stored.status, stored.created_at, stored.decided_at, stored.sender) == (
        "pending",
        10.0,
        None,
        "+33600000000",
    )
    retried = store.add_message("m1", "Courage !", "Lea", "FR", "fr", "sms", "+33600000000", 11.0)
    assert retried == stored  # a webhook retry changes nothing
    assert store.set_message_status("m1", "approved", "ana", 20.0) is True
    approved = store.get_message("m1")
    assert approved is not None
    assert (approved.status, approved.decided_at, approved.decided_by) == ("approved", 20.0, "ana")
    assert store.set_message_status("m1", "pending", "ana", 30.0) is True
    back = store.get_message("m1")
    assert back is not None and (back.status, back.decided_at, back.decided_by) == ("pending", None, None)
    assert store.set_message_status("nope", "approved", "ana", 20.0) is False
    with pytest.raises(ValueError, match="'published'"):
        store.set_message_status("m1", "published", "ana", 20.0)


def test_message_lists(store: Store) -> None:
    for i in range(5):
        add(store, f"m{i}", now=float(i))
    store.set_message_status("m3", "approved", "ana", 100.0)
    store.set_message_status("m1", "approved", "ana", 200.0)
    store.set_message_status("m4", "approved", "ana", 300.0)
    store.set_message_status("m0", "rejected", "ana", 400.0)
    assert [m.id for m in store.list_messages("pending", 10)] == ["m2"]
    assert [m.id for m in store.list_messages(None, 3)] == ["m0", "m1", "m2"]
    assert [m.id for m in store.approved_messages(10)] == ["m3", "m1", "m4"]
    assert [m.id for m in store.approved_messages(2)] == ["m1", "m4"]  # the latest, in order
    with pytest.raises(ValueError):
        store.list_messages("spam", 10)


def test_a_video_keeps_its_running_time_and_a_picture_has_none(store: Store) -> None:
    video = MediaRecord("a" * 64, "video/mp4", 1920, 1080, 5_000_000, name="march.mp4", seconds=94.5)
    picture = MediaRecord("b" * 64, "image/jpeg", 640, 480, 50_000, created_at=1.0)
    assert store.add_media(video) and store.add_media(picture)
    assert not store.add_media(video)  # the same content twice is one record
    got = store.get_media(video.hash)
    assert got is not None and got.seconds == 94.5 and got.is_video
    stored = store.get_media(picture.hash)
    assert stored is not None and stored.seconds is None and not stored.is_video
    assert {m.hash for m in store.list_media()} == {video.hash, picture.hash}
