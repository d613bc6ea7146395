"""Memorable test data shared by the activities unit tests (see conftest.py for the story)."""
from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from services.activities.domain.ids import activity_id_for, wish_id_for


def known(name: str) -> str:
    """Memorable, stable ids: known("王建国") is the same uuid in every test."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"yinfa-test:{name}"))


BEIJING = ZoneInfo("Asia/Shanghai")
TINGHU = "320902"  # 亭湖区
CODE = "CY2023"  # what the organiser shows on site
WANG, LI, ZHANG, ZHAO = known("王建国"), known("李秀英"), known("张志强"), known("赵桂兰")
HEALTH_TEAM = known("亭湖区银发义诊队")
CLINIC_REQUEST = known("重阳节义诊")
ACTIVITY_ID = activity_id_for(CLINIC_REQUEST)
WISH_REQUEST = known("王奶奶的助听器")
WISH_ID = wish_id_for(WISH_REQUEST)
COMMUNITY = {"kind": "community", "id": "文峰街道先锋社区"}
BRANCH = {"kind": "branch", "id": "亭湖区财政局离退休党支部"}


def bj(day: int, hour: int, minute: int = 0, month: int = 10) -> datetime:
    """A moment of 2023 in Beijing time: bj(23, 9) is 23 October, 09:00."""
    return datetime(2023, month, day, hour, minute, tzinfo=BEIJING)
