"""Loading the clinic profile: the demo default, a whole-file override, single-field overrides, errors."""
from __future__ import annotations

import pytest

from clinic import ClinicProfile, ProfileError, load_profile
from clinic.profile import DEFAULT_PROFILE_PATH, FIELDS
from tests.clinic.conftest import OTHER_CLINIC, write_profile


def test_default_is_the_demo_clinic_with_every_field_filled():
    profile = load_profile()
    assert profile.name == "Example Counseling Center (demo)"
    assert set(profile.dict()) == set(FIELDS) == set(OTHER_CLINIC)
    assert all(str(value).strip() for value in profile.dict().values())


def test_template_variables_are_prefixed_so_no_slot_can_shadow_them():
    variables = load_profile().template_variables()
    assert set(variables) == {f"clinic_{field}" for field in FIELDS}
    assert variables["clinic_privacy_url"] == "https://www.example.org/privacy"


def test_clinic_profile_variable_replaces_the_whole_file(monkeypatch, other_clinic_file):
    monkeypatch.setenv("CLINIC_PROFILE", str(other_clinic_file))
    profile = load_profile()
    assert {field: str(value) for field, value in profile.dict().items()} == OTHER_CLINIC


def test_an_explicit_path_wins_over_the_environment(monkeypatch, other_clinic_file):
    monkeypatch.setenv("CLINIC_PROFILE", str(other_clinic_file))
    assert load_profile(DEFAULT_PROFILE_PATH).name == "Example Counseling Center (demo)"


def test_single_fields_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("CLINIC_NAME", "  Lakeside Counseling  ")
    monkeypatch.setenv("CLINIC_SELF_PAY", "$90 per session")
    profile = load_profile()
    assert profile.name == "Lakeside Counseling"
    assert profile.self_pay == "$90 per session"
    assert profile.hours == load_profile(environ={}).hours  # the rest still from the file


def test_field_overrides_apply_on_top_of_a_whole_file_override(monkeypatch, other_clinic_file):
    monkeypatch.setenv("CLINIC_PROFILE", str(other_clinic_file))
    monkeypatch.setenv("CLINIC_WAIT_TIME", "within a week")
    profile = load_profile()
    assert profile.wait_time == "within a week" and profile.name == OTHER_CLINIC["name"]


def test_a_missing_field_is_named(tmp_path):
    values = {k: v for k, v in OTHER_CLINIC.items() if k != "hours"}
    path = write_profile(tmp_path / "clinic.yml", values)
    with pytest.raises(ProfileError) as error:
        load_profile(path)
    assert "field 'hours' is missing" in str(error.value)
    assert str(path) in str(error.value)


@pytest.mark.parametrize("empty", ["", "   ", None])
def test_an_empty_field_is_named(tmp_path, empty):
    path = write_profile(tmp_path / "clinic.yml", {**OTHER_CLINIC, "insurance": empty})
    with pytest.raises(ProfileError, match="field 'insurance' is empty"):
        load_profile(path)


def test_every_problem_is_reported_at_once(tmp_path):
    values = {k: v for k, v in OTHER_CLINIC.items() if k not in ("name", "wait_time")}
    with pytest.raises(ProfileError) as error:
        load_profile(write_profile(tmp_path / "clinic.yml", values))
    assert "field 'name' is missing" in str(error.value) and "field 'wait_time' is missing" in str(error.value)


def test_an_empty_environment_override_names_the_variable(monkeypatch):
    monkeypatch.setenv("CLINIC_NAME", "")
    with pytest.raises(ProfileError, match=r"field 'name' \(from CLINIC_NAME\) is empty"):
        load_profile()


def test_a_misspelt_field_is_refused(tmp_path):
    values = {**OTHER_CLINIC, "insurence": "Aetna"}
    with pytest.raises(ProfileError, match="field 'insurence' is not a profile field"):
        load_profile(write_profile(tmp_path / "clinic.yml", values))


def test_the_privacy_link_must_be_a_web_address(monkeypatch):
    monkeypatch.setenv("CLINIC_PRIVACY_URL", "our privacy page")
    with pytest.raises(ProfileError, match="field 'privacy_url' .*must be a web address"):
        load_profile()


def test_a_missing_file_is_named(monkeypatch, tmp_path):
    missing = tmp_path / "nowhere.yml"
    monkeypatch.setenv("CLINIC_PROFILE", str(missing))
    with pytest.raises(ProfileError, match="cannot be read") as error:
        load_profile()
    assert str(missing) in str(error.value)


@pytest.mark.parametrize("content", ["- name: A list, not a mapping\n", "name: [unclosed\n"])
def test_a_file_that_is_not_a_mapping_is_refused(tmp_path, content):
    path = tmp_path / "clinic.yml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ProfileError, match="must be a mapping|not valid YAML"):
        load_profile(path)


def test_the_profile_cannot_be_changed_after_loading():
    profile = load_profile()
    with pytest.raises(TypeError):
        profile.name = "Someone else"
    assert isinstance(profile, ClinicProfile)
