"""The deploying clinic's profile (name, services, fees, wait, hours, callbacks, privacy link)."""
from clinic.profile import ClinicProfile, ProfileError, load_profile

__all__ = ["ClinicProfile", "ProfileError", "load_profile"]
