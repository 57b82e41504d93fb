from console.throttle import LoginThrottle


def test_lockout_per_user_and_per_address_expires():
    now = [1000.0]
    throttle = LoginThrottle(max_failures=3, window_seconds=60, per_address_factor=2, clock=lambda: now[0])
    for _ in range(3):
        assert throttle.retry_after("ada", "1.2.3.4") == 0
        throttle.failed("ada", "1.2.3.4")
    assert 0 < throttle.retry_after("ada", "5.6.7.8") <= 60  # the account is locked from anywhere
    for name in ("bo", "cy", "di"):
        throttle.failed(name, "1.2.3.4")
    assert throttle.retry_after("eve", "1.2.3.4") > 0  # the address is locked for any account
    assert throttle.retry_after("eve", "9.9.9.9") == 0
    now[0] += 61
    assert throttle.retry_after("ada", "1.2.3.4") == 0
