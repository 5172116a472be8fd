"""skae's estimators: the shared base with its hooks, one module per estimator.

Above the saving/export layer and the engine. ``registry`` lists the
estimator classes; ``load`` reads a skae file back into one of them (or a
class of the user's, handed over by name).
"""
