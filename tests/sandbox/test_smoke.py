def test_login_then_users(logged_in):
    users = logged_in.client.GetUsers()
    assert len(users) == 21
