// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * ipcoff-cachebench: a cell's figures from its samples, and whether an
 * action's difference from "none" is clear.
 *
 * An action is "faster" only when its median is at least 10% below
 * none's AND nine in ten of its samples (its p90) come in under none's
 * median; "slower" only when its median is at least 10% above none's
 * AND above none's p90. Anything else is no clear difference. On a
 * quiet machine a few percent would be real; on a shared virtual
 * machine it is not, and the table exists to decide defaults.
 */
#include <math.h>
#include <stdlib.h>

#include "cachebench.h"

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

/* Linear interpolation between closest ranks; @v sorted, @n > 0. */
static double quantile(const double *v, unsigned int n, double q)
{
	double pos = q * (n - 1);
	unsigned int i = (unsigned int)pos;
	double frac = pos - i;

	if (i + 1 >= n)
		return v[n - 1];
	return v[i] + (v[i + 1] - v[i]) * frac;
}

/* Sorts both arrays in place. */
void stats_fill(struct cell *c, double *cons_ns, double *prod_ns,
		unsigned int n)
{
	c->n = n;
	if (!n)
		return;
	qsort(cons_ns, n, sizeof(double), cmp_double);
	qsort(prod_ns, n, sizeof(double), cmp_double);
	c->min_ns = cons_ns[0];
	c->med_ns = quantile(cons_ns, n, 0.5);
	c->p90_ns = quantile(cons_ns, n, 0.9);
	c->prod_med_ns = quantile(prod_ns, n, 0.5);
	c->ratio = 1.0;
}

void stats_compare(struct cell *c, const struct cell *none)
{
	c->verdict = 0;
	if (!c->n || !none->n || none->med_ns <= 0) {
		c->ratio = NAN;
		return;
	}
	c->ratio = c->med_ns / none->med_ns;
	if (c->ratio <= 1.0 - VERDICT_RATIO && c->p90_ns <= none->med_ns)
		c->verdict = -1;
	else if (c->ratio >= 1.0 + VERDICT_RATIO && c->med_ns >= none->p90_ns)
		c->verdict = 1;
}
