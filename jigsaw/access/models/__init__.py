from .audit import AuditEntry, AuditPerson
from .break_glass import BreakGlass, Notification
from .staff import StaffProfile, Team
from .tokens import ApiToken

__all__ = [
    "ApiToken",
    "AuditEntry",
    "AuditPerson",
    "BreakGlass",
    "Notification",
    "StaffProfile",
    "Team",
]
