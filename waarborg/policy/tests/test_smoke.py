import pytest


@pytest.mark.django_db
def test_statement_is_served_in_dutch_by_default(client):
    response = client.get("/privacy")
    assert response.status_code == 200
    assert '<html lang="nl">' in response.content.decode()
