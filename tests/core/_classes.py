"""Classes shared by the core tests."""


class EqMeta(type):
    """A metaclass with __eq__ and no __hash__: its classes cannot be hashed (dict keys)."""

    def __eq__(cls, other):
        return cls is other


class Unhashable(metaclass=EqMeta):
    pass
