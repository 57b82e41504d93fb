"""Names shared by the risk core, the NLU component, the policy, the actions and the evaluation."""

LEVELS = ("none", "concern", "high", "imminent")
LEVEL_RANK = {name: rank for rank, name in enumerate(LEVELS)}

# Situations the classifier and the patterns name; each has its own crisis reply and resource
# (risk/data/crisis_resources.yml). Order = precedence when a message shows several: what must
# happen first (911) comes first, then the most specific resource.
SITUATIONS = (
    "medical_emergency",
    "overdose",
    "imminent_danger",
    "child_exploitation",
    "child_abuse",
    "trafficking",
    "sexual_assault",
    "domestic_violence",
    "intimate_images",
    "elder_abuse",
    "harm_others",
    "other_at_risk",
    "eating_disorder",
    "method",
    "self_harm",
    "suicidal",
)
# Situations whose reply leads with 911: the person's life is in danger now.
EMERGENCY_SITUATIONS = ("medical_emergency", "overdose", "imminent_danger")
# The uncertain tier's label: distress without explicit risk (answered with a screening question).
DISTRESS = "distress"
# The pattern detector's older category names are situations too.
CATEGORIES = SITUATIONS
POPULATIONS = ("veteran", "lgbtq_youth", "minor", "outside_us")
LANGUAGES = ("en", "es")
TIERS = ("none", "uncertain", "clear")
RISK_INTENT = "express_risk"
