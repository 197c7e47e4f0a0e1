from jigsaw.risk.models.flags import (
    CloseReason,
    EscalationLevel,
    Flag,
    FlagAction,
    FlagRevision,
)

__all__ = ["CloseReason", "EscalationLevel", "Flag", "FlagAction", "FlagRevision"]
