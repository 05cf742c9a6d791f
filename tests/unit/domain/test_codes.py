from hotline.domain.codes import natural_key, natural_sorted


def test_codes_sort_as_people_read_them():
    codes = ["DSM-10", "DSM-2", "IC-5", "dsm-11", "AMES-1", "DSM-1", "SAT-ES-3", "DSM-2A", "7-A"]
    assert natural_sorted(codes) == ["7-A", "AMES-1", "DSM-1", "DSM-2", "DSM-2A", "DSM-10", "dsm-11",
                                     "IC-5", "SAT-ES-3"]


def test_numbers_and_words_never_compare_directly():
    assert natural_key("10") < natural_key("A") and natural_key("A1") > natural_key("1A")
