"""The HTTP layer: one blueprint per area, thin views over services."""


def register_all(app) -> None:
    from blueprints import feature_gates
    from blueprints.auth import bp as auth_bp
    from blueprints.dashboard import bp as dashboard_bp
    from blueprints.health import bp as health_bp
    from blueprints.platform import bp as platform_bp
    from blueprints.store import bp as store_bp

    for bp in (health_bp, auth_bp, store_bp, dashboard_bp, platform_bp):
        app.register_blueprint(bp)
    feature_gates.init_app(app)
