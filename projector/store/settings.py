"""Settings, the campaign and the case list: the same SQL on every store."""

from __future__ import annotations

import json
from types import MappingProxyType
from typing import Any

from projector.core.brand import brand_to_dict, parse_brand
from projector.core.model import CAMPAIGN_TEXT_FIELDS, DEFAULT_LANG, Brand, Campaign, CampaignText, Case
from projector.store.connection import Connection, StoreBase
from projector.store.media import CASE_COLUMNS, case_from_row, case_row


class SettingsMixin(StoreBase):
    def get_setting(self, key: str) -> str | None:
        row = self._conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_setting(self, key: str, value: str) -> None:
        with self._transaction() as conn:
            self.put_setting_in(conn, key, value)

    def delete_setting(self, key: str) -> bool:
        """Remove a setting; True if there was one."""
        with self._transaction() as conn:
            return conn.execute("DELETE FROM settings WHERE key = ?", (key,)).rowcount > 0

    @staticmethod
    def put_setting_in(conn: Connection, key: str, value: str) -> None:
        """Write a setting in the caller's transaction (``conn`` is inside it)."""
        conn.execute(
            "INSERT INTO settings (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def load_campaign(self) -> Campaign | None:
        name = self.get_setting("campaign.name")
        if name is None:
            return None
        # The campaign's language and words per language came with issue 13: absent in an
        # older store, they are the defaults (English, the scenes' own words).
        translations = json.loads(self.get_setting("campaign.translations") or "{}")
        # The brand kit and the layouts came with issue 18: absent, they are the house look
        # and none. Plain settings rows (JSON), so no schema change on either database.
        brand = parse_brand(json.loads(self.get_setting("campaign.brand") or "{}"), Brand())
        layouts = json.loads(self.get_setting("campaign.layouts") or "{}")
        return Campaign(
            name=name,
            goal=int(self.get_setting("campaign.goal") or 0),
            record=int(self.get_setting("campaign.record") or 0),
            lang=self.get_setting("campaign.lang") or DEFAULT_LANG,
            tagline=self.get_setting("campaign.tagline") or "",
            call_to_action=self.get_setting("campaign.call_to_action") or "",
            translations=MappingProxyType(
                {lang: CampaignText(**fields) for lang, fields in translations.items()}
            ),
            brand=brand,
            layouts=MappingProxyType({str(name): str(source) for name, source in layouts.items()}),
        )

    def save_campaign(self, campaign: Campaign) -> None:
        translations = {
            lang: {name: getattr(text, name) for name in CAMPAIGN_TEXT_FIELDS}
            for lang, text in campaign.translations.items()
        }
        with self._transaction() as conn:
            self.put_setting_in(conn, "campaign.name", campaign.name)
            self.put_setting_in(conn, "campaign.goal", str(campaign.goal))
            self.put_setting_in(conn, "campaign.record", str(campaign.record))
            self.put_setting_in(conn, "campaign.lang", campaign.lang)
            self.put_setting_in(conn, "campaign.tagline", campaign.tagline)
            self.put_setting_in(conn, "campaign.call_to_action", campaign.call_to_action)
            self.put_setting_in(conn, "campaign.translations", json.dumps(translations, ensure_ascii=False))
            self.put_setting_in(conn, "campaign.brand", json.dumps(brand_to_dict(campaign.brand)))
            self.put_setting_in(
                conn, "campaign.layouts", json.dumps(dict(campaign.layouts), ensure_ascii=False)
            )

    # --- cases ----------------------------------------------------------------------

    _CASE_COLUMNS = CASE_COLUMNS  # with the columns of the media migration: see store/media.py

    @staticmethod
    def _case(row: tuple[Any, ...]) -> Case:
        return case_from_row(row)

    def list_cases(self) -> list[Case]:
        """Cases in the order they were first created."""
        rows = self._conn.execute(f"SELECT {self._CASE_COLUMNS} FROM cases ORDER BY {self._CASE_ORDER}")
        return [self._case(row) for row in rows]

    def get_case(self, case_id: str) -> Case | None:
        sql = f"SELECT {self._CASE_COLUMNS} FROM cases WHERE id = ?"
        row = self._conn.execute(sql, (case_id,)).fetchone()
        return None if row is None else self._case(row)

    def upsert_case(self, case: Case) -> None:
        with self._transaction() as conn:
            conn.execute(
                f"INSERT INTO cases ({self._CASE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET name = excluded.name, country = excluded.country,"
                " story = excluded.story, ask = excluded.ask, status = excluded.status,"
                " portrait = excluded.portrait, lang = excluded.lang, translations = excluded.translations,"
                " focus = excluded.focus, portraits = excluded.portraits",
                case_row(case),
            )

    def delete_case(self, case_id: str) -> bool:
        """Forget a case. Its actions stay in the log and in ``by_case``."""
        with self._transaction() as conn:
            return conn.execute("DELETE FROM cases WHERE id = ?", (case_id,)).rowcount > 0
