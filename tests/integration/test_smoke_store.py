from ledger.seed import load_case


def test_seed_case_loads_on_each_store(ledger):
    ids = load_case(ledger)
    assert len(ids["figures"]) == 24
    killed = ledger.figure(ids["figures"]["snhr-report/0"])
    assert (killed.value.low, killed.value.high) == (108, None)
