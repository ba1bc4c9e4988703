"""Extensions created unbound; create_app binds them."""

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from app.cache import MemoryCache, build_cache
from app.models.base import Base


class CacheHolder:
    """The process's cache backend, reachable from services without the Flask app object."""

    def __init__(self):
        self.backend = MemoryCache()

    def init_app(self, app) -> None:
        self.backend = build_cache(app.config.get("REDIS_URL"))
        app.extensions["cache"] = self.backend

    def __getattr__(self, name):
        return getattr(self.backend, name)


# Objects stay usable after commit: scope switches detach them, and pages render after the commit.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
cache = CacheHolder()
