/* test_spec_errors.c - every class of spec error gives file:line:column, the key and a useful
 * message (did-you-mean for misspellings), and leaves no sweep behind. */
#include "check.h"

#include "ntksweep/error.h"
#include "ntksweep/spec.h"
#include "ntksweep/theory.h"

#include <stdarg.h>
#include <string.h>

/* Parses text as "bad.yaml" and checks the error code and that the message holds every
 * substring of the NULL-terminated list. */
static void expect_(int line, const char *text, int code, ...)
{
    ntk_sweep *s = (ntk_sweep *)1;
    int rc = ntk_spec_parse_string(text, "bad.yaml", &s);
    const char *msg = ntk_error_msg();
    int ok = rc == code && s == NULL;
    va_list ap;
    va_start(ap, code);
    const char *sub;
    while ((sub = va_arg(ap, const char *)))
        if (!strstr(msg, sub)) {
            ok = 0;
            printf("  missing \"%s\"\n", sub);
        }
    va_end(ap);
    char what[256];
    snprintf(what, sizeof what, "spec error case at line %d (rc %d, want %d)", line, rc, code);
    if (!check_report_(ok, __FILE__, line, what)) printf("  message: %s\n", msg);
    if (s && s != (ntk_sweep *)1) ntk_sweep_free(s);
}

#define EXPECT(text, ...) expect_(__LINE__, text, NTK_ESPEC, __VA_ARGS__, (const char *)NULL)

static void test_values_(void)
{
    /* The message format of the project issue, character for character. */
    EXPECT("name: x\nmodel:\n  sigma_w: abc\n  depth: 3\n",
           "bad.yaml:3:12: key 'model.sigma_w': expected a non-negative number, got 'abc'");
    EXPECT("name: x\nmodel: {depth: 0}\n",
           "bad.yaml:2:16: key 'model.depth': expected a positive integer, got '0'");
    EXPECT("name: x\nmodel: {depth: 3, width: -5}\n",
           "bad.yaml:2:26: key 'model.width': expected a positive integer, got '-5'");
    EXPECT("name: x\nmodel: {depth: 2.5}\n", "key 'model.depth'", "positive integer", "'2.5'");
    EXPECT("name: x\nmodel: {depth: 3, m: 1e10}\n", "key 'model.m'", "positive integer", "'1e10'");
    EXPECT("name: x\nmodel: {act: tanh, depth: 2}\nderived: {width: 1e12 * depth}\n",
           "key 'derived.width'", "gives 2e+12; expected a positive integer");
    EXPECT("name: x\nmodel: {depth: 3, sigma_b2: -0.1}\n",
           "2:29: key 'model.sigma_b2': expected a non-negative number, got '-0.1'");
    EXPECT("name: x\nmodel: {depth: 3, act: alpha_relu, relu_alpha: 0.5}\n",
           "key 'model.relu_alpha'", "> 1/2", "got '0.5'");
    EXPECT("name: x\nmodel: {depth: 3, sigma_w: .inf}\n", "key 'model.sigma_w'", "'.inf'");
    EXPECT("name: x\nmodel: {depth: 3, sigma_w: nan}\n", "key 'model.sigma_w'", "'nan'");
    EXPECT("name: x\nmodel: {depth: 3, sigma_w: [1, 2]}\n", "key 'model.sigma_w'", "got a list");
    EXPECT("name: x\nmodel: {depth: 3, sigma_w: depth/2}\n", "key 'model.sigma_w'",
           "got 'depth/2'");
    EXPECT("name: x\nmodel:\n  depth: 3\n  act: tahn\n",
           "bad.yaml:4:8: key 'model.act': unknown value 'tahn' (did you mean 'tanh'?)");
    EXPECT("name: x\nmodel: {depth: 3, arch: resnt}\n", "did you mean 'resnet'?");
    EXPECT("name: x\nmodel: {depth: 3, trained: [W, bias]}\n", "key 'model.trained'",
           "unknown parameter group 'bias'");
    EXPECT("name: 'a b'\nmodel: {depth: 3}\n", "1:7: key 'name'", "letters, digits");
    EXPECT("name: x\nseed: -1\nmodel: {depth: 3}\n", "2:7: key 'seed'", "[0, 2^64 - 1]");
}

static void test_keys_(void)
{
    EXPECT("nmae: x\nmodel: {depth: 3}\n",
           "bad.yaml:1:1: key 'nmae': unknown key (did you mean 'name'?)");
    EXPECT("name: x\nmodel:\n  depth: 3\n  sigma_ww: 1\n",
           "bad.yaml:4:3: key 'model.sigma_ww': unknown key (did you mean 'sigma_w'?)");
    EXPECT("name: x\nmodel: {depth: 3}\nsim: {sampels: 10}\n",
           "key 'sim.sampels': unknown key (did you mean 'samples'?)");
    EXPECT("name: x\nmodel: {depth: 3}\noutput: {compresion: 3}\n", "did you mean 'compression'?");
    EXPECT("name: x\nmodel: {depth: 3}\nfoo: 1\n", "key 'foo': unknown key (expected one of:");
    EXPECT("name: x\nmodel:\n  depth: 3\n  depth: 4\n",
           "4:3: key 'model.depth': duplicate key (first given at line 3, column 3)");
    EXPECT("name: x\nmodel: {depth: 3}\ngrid:\n  sigma_ww: [1, 2]\n",
           "4:3: key 'grid.sigma_ww': unknown parameter 'sigma_ww' (did you mean 'sigma_w'?)");
    EXPECT("name: x\nmodel: {depth: 3}\ngrid:\n  wdith: [10, 20]\n", "did you mean 'width'?");
    EXPECT("model: {depth: 3}\n", "key 'name': missing");
    EXPECT("name: x\n", "key 'model': missing");
    EXPECT("name: x\nmodel: {act: tanh}\n", "key 'model.depth': missing");
    EXPECT("", "bad.yaml:1:1: the spec is empty");
    EXPECT("- 1\n- 2\n", "bad.yaml:1:1:", "expected a mapping");
    EXPECT("name: x\nmodel: {depth: 3}\ntheory: {quantities: [q, ntk_nrom]}\n",
           "key 'theory.quantities': unknown theory quantity 'ntk_nrom' (did you mean "
           "'ntk_norm'?)");
    EXPECT("name: x\nmodel: {depth: 3, width: 8}\nsim: {samples: 4, engine: dens}\n",
           "key 'sim.engine': unknown engine 'dens' (did you mean 'dense'?)");
}

static void test_yaml_(void)
{
    /* libyaml errors carry problem and context marks. */
    EXPECT("name: x\nmodel: {depth: [1, 2}\n", "bad.yaml:2:", "YAML syntax error",
           "line 2, column");
    EXPECT("name: x\nmodel:\n  depth: 3\n bad: 1\n", "bad.yaml:4:", "YAML syntax error");
    EXPECT("name: x\nmodel: {depth: 3}\n---\nname: y\n",
           "bad.yaml:4:1: a spec holds one YAML document");
    EXPECT("name: x\nmodel: {depth: 3, sigma_w: *nope}\n", "bad.yaml:2:", "YAML syntax error");
    EXPECT("name: \"x\nmodel: {depth: 3}\n", "bad.yaml:", "YAML syntax error");
    EXPECT("name: x\tmodel: 1\n\x01\n", "bad.yaml");
}

static void test_conflicts_(void)
{
    EXPECT("name: x\nmodel: {depth: 3, sigma_w: 1, sigma_w2: 1}\n",
           "key 'model.sigma_w2': parameter 'sigma_w' is already set by 'model.sigma_w'");
    EXPECT("name: x\nmodel: {sigma_w: 1}\ngrid:\n  sigma_w2: [1, 2]\n  depth: [3]\n",
           "4:3: key 'grid.sigma_w2': parameter 'sigma_w' is already set by 'model.sigma_w' "
           "(line 2, column 18)");
    EXPECT("name: x\nmodel: {depth: 3}\ngrid:\n  alpha: [1]\nderived: {alpha: \"2\"}\n",
           "key 'derived.alpha': parameter 'alpha' is already set by 'grid.alpha'");
    EXPECT("name: x\nmodel: {depth: 3}\ngrid:\n  sigma_b: [0.1, 0.1]\n", "key 'grid.sigma_b'",
           "appears twice");
    EXPECT("name: x\nmodel: {depth: 3}\ngrid:\n  sigma_b: 0.1\n", "key 'grid.sigma_b'",
           "expected a list of values");
    EXPECT("name: x\nmodel: {depth: 3}\ngrid:\n  sigma_b: [0.1, -0.2]\n",
           "4:18: key 'grid.sigma_b': expected a non-negative number, got '-0.2'");
    EXPECT("name: x\nmodel: {act: tanh}\ngrid:\n  depth: {range: [10, 1, 2]}\n",
           "key 'grid.depth.range'", "step 2 cannot go from 10 to 1");
    EXPECT("name: x\nmodel: {act: tanh}\ngrid:\n  depth: {linspace: [0, 4, 5]}\n",
           "key 'grid.depth.linspace'", "value 1 of 5 is 0; expected a positive integer");
    EXPECT("name: x\nmodel: {depth: 2}\ngrid:\n  act: {linspace: [0, 1, 2]}\n",
           "'act' is categorical");
    EXPECT("name: x\nmodel: {depth: 2}\ngrid:\n  i:\n    zip: {sigma_w: [1, 2], sigma_b: [0]}\n",
           "key 'grid.i.zip.sigma_b'", "has 1 values but 'sigma_w' has 2");
    EXPECT("name: x\nmodel: {depth: 2}\ngrid:\n  sigma_w:\n    zip: {sigma_b: [1, 2]}\n",
           "a zipped axis needs its own name");
    EXPECT("name: x\nmodel: {depth: 2}\ninputs: {angles: [1], circle: 4}\n",
           "inputs.angles and inputs.circle cannot both be given");
    EXPECT("name: x\nmodel: {depth: 2}\ninputs: {circle: 4}\ngrid:\n  angle: [0, 1]\n",
           "key 'grid.angle'", "single input pair");
    EXPECT("name: x\nmodel: {depth: 2}\ninputs: {rho: 0.3}\ngrid:\n  angle: [0, 1]\n",
           "either an angle or a cosine rho");
    EXPECT("name: x\nmodel: {depth: 2}\ninputs: {rho: 1.5}\n",
           "key 'inputs.rho': expected a number in [-1, 1], got '1.5'");
    EXPECT("name: x\nmodel: {depth: 2}\ninputs: {angles: [0.1, 0.2], norms: [1, 2]}\n",
           "key 'inputs.norms': expected 3 squared norms");
    EXPECT("name: x\nmodel: {depth: 2}\ninputs:\n  gram: [[1, 2], [2, 1]]\n",
           "key 'inputs.gram': not positive semi-definite");
    EXPECT("name: x\nmodel: {depth: 2}\ninputs:\n  gram: [[1, 0.5], [0.4, 1]]\n",
           "key 'inputs.gram': not symmetric");
    EXPECT("name: x\nmodel: {depth: 2, d: 2, width: 10}\n"
           "inputs:\n  gram: [[1, 0, 0], [0, 1, 0], [0, 0, 1]]\nsim: {samples: 2}\n",
           "input dimension d = 2 is smaller than the rank 3");
    EXPECT("name: x\nmodel: {depth: 2, alpha_schedule: list}\n", "'list' needs model.alpha_list");
    EXPECT("name: x\nmodel: {depth: 2, alpha_schedule: power, alpha_list: [1]}\n",
           "key 'model.alpha_list'", "alpha_schedule is 'power'");
}

static void test_points_(void)
{
    /* Impossible models are refused, naming the grid point. */
    EXPECT("name: x\nmodel: {arch: rrn, act: relu, depth: 3}\n",
           "bad.yaml:2:8: key 'model':", "rrn needs an odd activation");
    EXPECT("name: x\nmodel: {arch: rrn, depth: 3}\ngrid:\n  sigma_w: [1, 2]\n"
           "  act: [tanh, erf, relu]\n",
           "bad.yaml:4:3: grid point 2 of 6 (sigma_w=1, act=relu):", "rrn needs an odd activation");
    EXPECT("name: x\nmodel: {}\ngrid:\n  arch: [ff, frn, rrn]\n"
           "  depth: {range: [1, 40, 1]}\n  sigma_w: [1, 2]\n"
           "  act: [tanh, relu]\n",
           "grid point 321 of 480 (arch=rrn, depth=1, sigma_w=1, act=relu)");
    EXPECT("name: x\nmodel: {arch: resnet, alpha_list: [1, 1]}\ngrid:\n  depth: [1, 2, 5]\n",
           "grid point 2 of 3 (depth=5)", "alpha list has 2 entries but depth needs 5");
    /* Derived values out of range at one point. */
    EXPECT(
        "name: x\nmodel: {act: tanh}\ngrid:\n  depth: [1, 2, 3]\nderived:\n  sigma_b: 2 - depth\n",
        "bad.yaml:6:12: key 'derived.sigma_b': at grid point 2 (depth=3) the expression '2 - "
        "depth' gives -1; expected a non-negative number");
    EXPECT("name: x\nmodel: {act: tanh}\ngrid:\n  depth: [1, 2]\nderived:\n  width: depth - 2\n",
           "key 'derived.width'", "gives -1; expected a positive integer");
    EXPECT("name: x\nmodel: {act: gelu, depth: 2}\nderived:\n  sigma_w: eoc(0.1)\n",
           "key 'derived.sigma_w'", "gives nan");
}

static void test_derived_(void)
{
    EXPECT("name: x\nmodel: {act: tanh}\ngrid:\n  depth: [1, 2]\nderived:\n  alpha: dpeth^-1\n",
           "bad.yaml:6:10: key 'derived.alpha': in expression 'dpeth^-1': unknown name 'dpeth' "
           "in expression (did you mean 'depth'?)");
    EXPECT("name: x\nmodel: {act: tanh, depth: 2}\nderived:\n  alpha: \"2 * (depth + \"\n",
           "bad.yaml:4:24: key 'derived.alpha'", "unexpected end of expression");
    EXPECT("name: x\nmodel: {act: tanh, depth: 2}\nderived:\n  alpha: 2 ** depth\n",
           "4:13: key 'derived.alpha'", "unexpected character '*'");
    EXPECT("name: x\nmodel: {act: tanh, depth: 2}\nderived:\n  alpha: sqr(depth)\n",
           "unknown function 'sqr'");
    EXPECT("name: x\nmodel: {act: tanh, depth: 2}\nderived:\n  alpha: min(depth)\n",
           "min() takes two arguments");
    EXPECT("name: x\nmodel: {act: tanh, depth: 2}\nderived:\n  alpha: (depth))\n",
           "unbalanced ')'");
    EXPECT("name: x\nmodel: {act: tanh, depth: 2}\nderived:\n  alpha: act + 1\n",
           "'act' is categorical and cannot be used in an expression");
    EXPECT("name: x\nmodel: {act: tanh, depth: 2}\nderived:\n  alpha: alpha + 1\n",
           "key 'derived.alpha': the expression uses 'alpha' itself");
    EXPECT("name: x\nmodel: {act: tanh, depth: 2}\nderived:\n  alpha: gamma\n  gamma: alpha\n",
           "depend on each other in a cycle");
    EXPECT("name: x\nmodel: {act: tanh, depth: 2}\nderived:\n  act: tanh\n",
           "'act' is categorical and cannot be derived");
    EXPECT("name: x\nmodel: {act: tanh, depth: 2}\nderived:\n  alpah: 1\n",
           "key 'derived.alpah': not a parameter (did you mean 'alpha'?)");
    EXPECT("name: x\nmodel: {act: tanh, depth: 2}\nderived:\n  rho: 0.5\n",
           "input geometry cannot be derived");
    EXPECT("name: x\nmodel: {act: tanh, depth: 2}\nderived:\n  alpha:\n",
           "key 'derived.alpha': expected an expression");
    /* Deep nesting is refused, not a stack overflow. */
    char deep[600] = "name: x\nmodel: {act: tanh, depth: 2}\nderived:\n  alpha: \"";
    size_t len = strlen(deep);
    for (int i = 0; i < 200; i++)
        deep[len++] = '(';
    strcpy(deep + len, "1\"\n");
    EXPECT(deep, "nested too deeply");
}

static void test_limits_(void)
{
    EXPECT("name: x\nmodel: {act: tanh}\ngrid:\n  depth: {range: [1, 1000, 1]}\n"
           "  sigma_w: {linspace: [0.1, 3, 1000]}\noutput: {max_bytes: 100MB}\n",
           "the archive would need about", "raise output.max_bytes");
    EXPECT("name: x\nmodel: {act: tanh, depth: 10}\ngrid:\n  width: [100, 100000]\n"
           "sim: {samples: 10, engine: dense}\n",
           "grid point 1 (width=100000) needs about", "raise output.max_point_bytes");
    EXPECT("name: x\nmodel: {act: tanh, depth: 2}\nsim: {samples: 10}\n",
           "key 'sim': the simulation needs a width");
    EXPECT("name: x\nmodel: {act: tanh, depth: 2, width: 100}\ninputs: {circle: 65}\n"
           "sim: {samples: 10}\n",
           "3:9: key 'inputs': the simulation takes at most 64 inputs per point; these inputs "
           "have k = 65");
    EXPECT("name: x\nmodel: {act: tanh, depth: 2, width: 4}\nsim: true\n",
           "key 'sim': a simulation needs sim.samples");
    EXPECT("name: x\nmodel: {act: tanh, depth: 2}\ntheory: false\n", "nothing to compute");
    EXPECT("name: x\nmodel: {act: tanh, depth: 2}\noutput: {compression: 10}\n",
           "key 'output.compression': expected an integer in [0, 9], got '10'");
    EXPECT("name: x\nmodel: {act: tanh, depth: 2}\noutput: {max_bytes: lots}\n",
           "key 'output.max_bytes'", "got 'lots'");
    EXPECT("name: x\nmodel: {act: tanh}\ngrid:\n  a: {range: [1, 1000, 1]}\n"
           "  b: {range: [1, 1000, 1]}\n  c: {range: [1, 1000, 1]}\n  d: {range: [1, 1000, 1]}\n",
           "more than 1000000000 points");
}

/* Quantity names checked against an engine's table (the simulator's, at run time). */
static void test_check_quantities_(void)
{
    /* At parse time against the simulator's table (sim.h) ... */
    EXPECT("name: x\nmodel: {act: tanh, depth: 2, width: 4}\n"
           "sim:\n  samples: 3\n  quantities: [ntk, grad_cor]\n",
           "bad.yaml:5:21: key 'sim.quantities': unknown simulation quantity 'grad_cor' (did you "
           "mean 'grad_corr'?)");
    /* ... and again, by the runner, against the table of the engine it links. */
    ntk_sweep *s = NULL;
    const char *text = "name: x\nmodel: {act: tanh, depth: 2, width: 4}\n"
                       "sim:\n  samples: 3\n  quantities: [ntk, grad_corr]\n";
    CHECK(ntk_spec_parse_string(text, "q.yaml", &s) == 0);
    if (!s) return;
    static const ntk_qty_desc table[] = {{"ntk", "", "", "", 0}, {"grad_corr", "", "", "", 0}};
    static const ntk_qty_desc table2[] = {{"ntk", "", "", "", 0}, {"grad_cor", "", "", "", 0}};
    CHECK(ntk_sweep_check_quantities(s, NTK_PART_SIM, table, 1) == NTK_ESPEC);
    CHECK(strstr(ntk_error_msg(), "q.yaml:5:21: key 'sim.quantities': unknown quantity "
                                  "'grad_corr'") != NULL);
    CHECK(ntk_sweep_check_quantities(s, NTK_PART_SIM, table2, 2) == NTK_ESPEC);
    CHECK(strstr(ntk_error_msg(), "(did you mean 'grad_cor'?)") != NULL);
    CHECK(ntk_sweep_check_quantities(s, NTK_PART_SIM, table, 2) == 0);
    CHECK(ntk_sweep_check_quantities(s, NTK_PART_THEORY, table, 2) == 0);
    ntk_sweep_free(s);
}

static void test_suggest_(void)
{
    const char *cand[] = {"sigma_w", "sigma_b", "depth", "width", "alpha"};
    const char *g;
    CHECK((g = ntk_spec_suggest("sigma_W", cand, 5)) && strcmp(g, "sigma_w") == 0);
    CHECK((g = ntk_spec_suggest("dept", cand, 5)) && strcmp(g, "depth") == 0);
    CHECK((g = ntk_spec_suggest("widht", cand, 5)) && strcmp(g, "width") == 0); /* transposed */
    CHECK(ntk_spec_suggest("banana", cand, 5) == NULL);
    CHECK(ntk_spec_suggest("depth", cand, 5) == NULL); /* exact is not a suggestion */
}

int main(void)
{
    test_values_();
    test_keys_();
    test_yaml_();
    test_conflicts_();
    test_points_();
    test_derived_();
    test_limits_();
    test_check_quantities_();
    test_suggest_();
    return check_summary("spec.errors");
}
