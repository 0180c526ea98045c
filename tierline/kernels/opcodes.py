"""Op codes shared by the compiler (`tierline.compiler`) and the kernels. Plain integers only."""

# component methods
MAP, BANDS, LINEAR, VALUE = 0, 1, 2, 3

# combine (and aggregate, which combines a group's scores by MEAN, WEIGHTED_MEAN, MIN, MAX or MEDIAN)
SUM, MEAN, PRODUCT, MIN, MAX, MEDIAN = 0, 1, 2, 3, 4, 5
WEIGHTED_MEAN = 6  # aggregate only: Σ wᵢsᵢ / Σ wᵢ over a group's rows, the weights read from a column

# tiering: levels are one banded axis, a matrix two; rules are a decision table. NO_TIERING scores
# the rows of an aggregating scorecard before grouping: their tiers come from the group (SPEC §2.3).
AXES, RULES, QUANTILES, NO_TIERING = 0, 1, 2, 3

# expression programs: a postfix stack machine evaluated over blocks of rows
PUSH_SLOT = 0  # arg0 = slot
PUSH_CONST = 1  # const
NEG = 2
ADD, SUB, MUL, DIV = 3, 4, 5, 6
EQ, NE, LT, LE, GT, GE = 7, 8, 9, 10, 11, 12
AND, OR, NOT = 13, 14, 15
IS_NULL, IS_NOT_NULL = 16, 17
IN_SET, NOT_IN_SET = 18, 19  # arg0 = start in set_values, arg1 = count; const = 1.0 if the list holds null
# functions (SPEC §2.4): a null argument gives null, and so does a result outside the function's
# domain or not finite. The one-argument ones replace the top of the stack; ROUND's arg0 = decimals.
ABS, SQRT, EXP, LN, LOG10, FLOOR, CEIL, ROUND = 20, 21, 22, 23, 24, 25, 26, 27
# two-argument steps of the variadic functions: min(a, b, c) is MIN2(MIN2(a, b), c), then FINITE
MIN2, MAX2, COALESCE2 = 28, 29, 30
FINITE = 31  # a non-finite number becomes null
FIRST_FUNCTION = ABS
