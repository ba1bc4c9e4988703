"""Registered task names: services and the schedule refer to tasks only by these strings."""

END_TRIALS = "tenancy.end_trials"
PRUNE_INVALIDATIONS = "tenancy.prune_invalidations"
SEND_MAIL = "mail.send"
APPLY_SWITCH_SCHEDULES = "features.apply_switch_schedules"
EXPIRE_OVERRIDES = "features.expire_overrides"
REINDEX_PUBLICATION = "catalog.reindex_publication"
RELEASE_SCHEDULED = "catalog.release_scheduled"
