"""The console's model registry page: versions and metrics for everyone, actions for admins."""

from __future__ import annotations

from tests.domains.payments.shop import history
from tests.domains.payments.test_orders import _screen, _train_and_activate
from tests.web.conftest import Console
from tradeguard.runtime import Runtime


def test_models_page_lists_versions_and_admins_switch_and_roll_back(
    console: Console, runtime: Runtime
) -> None:
    _screen(runtime, history(days=40))
    _train_and_activate(runtime)
    _train_and_activate(runtime)
    viewer = console.signed_in("viewer")
    page = viewer.get("/console/models").text
    assert "order-fraud@2" in page
    assert "order-fraud@1" in page
    assert "/rollback" not in page  # no actions for a viewer
    assert viewer.post("/console/models/order-fraud/rollback").status_code == 403
    admin = console.signed_in("admin")
    shadow = admin.post("/console/models/order-fraud/1/status", {"status": "shadow"})
    assert "order-fraud@1 is now shadow." in shadow.text
    back = admin.post("/console/models/order-fraud/rollback")
    assert "Rolled back: order-fraud@1 is live again." in back.text
    bad = admin.post("/console/models/order-fraud/9/status", {"status": "live"})
    assert bad.status_code == 404
    audit = admin.get("/console/audit?action=model.live").text
    assert "operator:" in audit


def test_an_empty_registry_says_how_to_train(console: Console) -> None:
    page = console.signed_in("viewer").get("/console/models").text
    assert "No models yet" in page
