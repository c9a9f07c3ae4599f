/*
 * rop_provider: the table of payment providers this build knows.
 */
#include <stddef.h>
#include <string.h>

#include "rop_provider.h"

static const struct rop_provider *const providers[] = {
	&rop_provider_fake,
	NULL
};

const struct rop_provider *
rop_provider_find(const char *name)
{
	size_t	 i;

	if (name == NULL)
		return NULL;
	for (i = 0; providers[i] != NULL; i++)
		if (strcmp(providers[i]->name, name) == 0)
			return providers[i];
	return NULL;
}
