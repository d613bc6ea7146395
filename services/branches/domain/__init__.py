"""Pure domain of the branches context: retiree party branches, their certification on the
六有一提升 / 五化 / 四好五强六优 ladder, and party-building brands. No I/O, no framework."""
