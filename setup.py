from setuptools import setup

setup(
    name="messenger-gateway",
    version="0.1.0",
    description="Self-hostable messenger backend: REST API, Laravel Echo compatible Socket.IO gateway and presence",
    python_requires=">=3.11",
    packages=["core", "domain", "rest", "rest.handlers", "gateway", "presence", "storage", "storage.migrations",
              "storage.migrations.versions"],
    py_modules=["run"],
    package_data={"storage": ["assets/*.png"], "storage.migrations": ["script.py.mako"]},
    include_package_data=True,
    install_requires=[
        "aiohttp>=3.9",
        "python-socketio>=5.12",
        "SQLAlchemy[asyncio]>=2.0.25",
        "aiosqlite>=0.19",
        "alembic>=1.13",
        "argon2-cffi>=23.1",
        "orjson>=3.9",
        "Pillow>=10.3",
        "PyYAML>=6.0",
    ],
    extras_require={
        "postgres": ["asyncpg>=0.29"],
        "redis": ["redis>=5.0.1"],
        "test": [
            "asyncpg>=0.29",
            "redis>=5.0.1",
            "pytest>=8.0",
            "pytest-aiohttp>=1.0.5",
            "pytest-asyncio>=0.23",
            "pytest-timeout>=2.2",
        ],
    },
)
