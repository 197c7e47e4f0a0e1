import pytest

from jigsaw.records.body_regions import REGIONS, site_region


@pytest.mark.parametrize(
    ("site", "region"),
    [
        ("L cheek", "cheek"),
        ("behind R ear", "ear"),
        ("ribs", "rib"),
        ("left wrist", "hand"),
        ("frenulum", "frenulum"),
        ("torn upper lip frenulum", "frenulum"),
        ("upper arm", "arm"),
        ("R forearm", "arm"),
        ("xyz", "other"),
        ("face", "face"),
        ("Forehead", "face"),
        ("periorbital", "eye"),
        ("eyelid", "eye"),
        ("left_buttock", "buttocks"),
        ("inner thigh", "leg"),
        ("skull", "skull"),
        ("scalp", "scalp"),
        ("neck", "neck"),
        ("chest", "chest"),
        ("lower back", "back"),
        ("shoulder blade", "back"),
        ("shoulder", "arm"),
        ("tummy", "abdomen"),
        ("groin", "genitals"),
        ("torso", "torso"),
        ("sole of foot", "foot"),
        ("chin", "jaw"),
        ("gums", "mouth"),
        ("top of head", "head"),
        # Where something is "of" a part, the part decides.
        ("back of hand", "hand"),
        ("back of L hand", "hand"),
        ("side of arm", "arm"),
        ("bottom of foot", "foot"),
        ("back of thigh", "leg"),
        ("back of neck", "neck"),
        ("back of head", "head"),
        ("small of back", "back"),
        ("bridge of nose", "face"),
    ],
)
def test_site_region(site: str, region: str) -> None:
    assert site_region(site) == region


@pytest.mark.parametrize("site", [None, "", "   ", "unspecified", "earring mark?"])
def test_unrecognised_sites_are_other(site: str | None) -> None:
    assert site_region(site) == "other"


def test_every_region_named_is_one_of_the_spec() -> None:
    assert len(REGIONS) == 22
    for region in REGIONS:
        assert site_region(region) == region
