"""Values BERT has that Python does not: atoms."""


class Atom(str):
    """An Erlang atom (a Ruby symbol): a name, distinct from a string of the same text.

    >>> Atom("ok") == "ok", Atom("ok")
    (True, Atom('ok'))
    """

    __slots__ = ()

    def __repr__(self):
        return f"Atom({str.__repr__(self)})"
