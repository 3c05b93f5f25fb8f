from tests.factories import make_user


def test_login_page_is_dutch_by_default(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert 'lang="nl"' in response.get_data(as_text=True)


def test_member_signs_in(login_as):
    from central.accounts.models import User

    user = make_user("member")
    client = login_as(user)
    assert client.get("/").status_code == 200
    assert isinstance(user, User)
