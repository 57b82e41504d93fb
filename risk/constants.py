"""Names shared by the detector, the NLU component, the policy and the action."""

LEVELS = ("none", "concern", "high", "imminent")
LEVEL_RANK = {name: rank for rank, name in enumerate(LEVELS)}
CATEGORIES = (
    "suicidal",
    "self_harm",
    "imminent_danger",
    "domestic_violence",
    "sexual_assault",
    "harm_others",
)
POPULATIONS = ("veteran", "lgbtq_youth", "outside_us")
RISK_INTENT = "express_risk"
