from fastapi.testclient import TestClient

from app import __version__
from app.main import create_app


def test_health_ok() -> None:
    with TestClient(create_app()) as client:
        response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": __version__}


def test_root_says_what_is_here() -> None:
    with TestClient(create_app()) as client:
        response = client.get("/")
    assert response.status_code == 200
    assert "LSTM Lens" in response.text
    assert "http" not in response.text.replace('href="/health"', "")  # nothing from elsewhere


def test_no_pages_that_load_from_a_cdn() -> None:
    with TestClient(create_app()) as client:
        assert client.get("/docs").status_code == 404
        assert client.get("/redoc").status_code == 404
