# Reads the cmdlet help kept as markdown in docs/help (a platyPS-like layout), turns it into MAML
# (<Assembly>.dll-Help.xml, the only help a binary cmdlet can have), and compares it with the cmdlets
# a loaded module really has, so help cannot drift from the code unnoticed.
#
# platyPS is not available to this project (not served by the package mirror), hence this small
# generator. It runs on Windows PowerShell 5.1 and PowerShell 7, so it avoids 7-only syntax.
#
# Markdown layout (one file per cmdlet, docs/help/<Cmdlet>.md):
#   front matter (--- ... ---) with at least `Module Name`, `external help file`, `issue`
#   # <Cmdlet>
#   ## SYNOPSIS, ## SYNTAX (### <set name> + a fenced block), ## DESCRIPTION,
#   ## EXAMPLES (### <title>, fenced code, remarks), ## PARAMETERS (### -<Name>, text, ```yaml blocks),
#   ## INPUTS / ## OUTPUTS (### <type> + text), ## NOTES, ## RELATED LINKS ([text](uri) lines)

Set-StrictMode -Version 3.0

$script:NsMaml = 'http://schemas.microsoft.com/maml/2004/10'
$script:NsCommand = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
$script:NsDev = 'http://schemas.microsoft.com/maml/dev/2004/10'
$script:NsMsh = 'http://msh'
# Text left in a parameter or section by Update-HelpMarkdown for a human to write.
$script:Placeholder = '{{ Fill in'
# The yaml keys that show a parameter's validation limits, in the order they are written.
$script:LimitKeys = @('Accepted range', 'Accepted length', 'Accepted count')
# Where the help is published: `online version:` of each cmdlet and the manifest's HelpInfoUri.
$script:DocsBaseUri = 'https://github.com/photoupdatepolicy/PhotoUpdatePolicy/blob/main/docs/help/'
# Marks an example the tests do not run, with the reason: <!-- not run: needs a browser sign-in -->
$script:NotRunPattern = '^\s*<!--\s*not run:\s*(.*?)\s*-->\s*$'
# A generated line under an output type listing its properties.
$script:PropertiesPattern = '^Properties: (.*)\.$'
# A generated line under an output type written only in some parameter sets ([OutputType(ParameterSetName = ...)]).
$script:OutputSetsPattern = '^Parameter sets: (.*)\.$'

function ConvertTo-HelpParagraphs {
    # Blank lines separate paragraphs; list items, table rows and code lines keep their own line,
    # because Get-Help re-wraps each paragraph and would otherwise run them together.
    param([string[]] $Lines)
    $paras = New-Object System.Collections.Generic.List[string]
    $current = New-Object System.Collections.Generic.List[string]
    $inCode = $false
    foreach ($raw in $Lines) {
        $line = $raw.TrimEnd()
        if ($line -match '^\s*```') {
            if ($current.Count) { $paras.Add(($current -join ' ')); $current.Clear() }
            $inCode = -not $inCode
            continue
        }
        if ($inCode) { $paras.Add('    ' + $line); continue }
        if ($line -eq '') {
            if ($current.Count) { $paras.Add(($current -join ' ')); $current.Clear() }
            continue
        }
        # A table's header separator row carries no text.
        if ($line -match '^\s*\|[\s:|-]+\|\s*$') { continue }
        if ($line -match '^\s*([-*]|\d+\.|\|)\s') {
            if ($current.Count) { $paras.Add(($current -join ' ')); $current.Clear() }
            $current.Add($line.Trim())
            continue
        }
        # Any other line continues the paragraph or list item above it (markdown's lazy continuation).
        $current.Add($line.Trim())
    }
    if ($current.Count) { $paras.Add(($current -join ' ')) }
    # Returned as one object so PowerShell does not unroll an empty list into $null.
    , $paras.ToArray()
}

function Split-HelpSections {
    # Groups lines under a heading of the given level; returns ordered name -> lines.
    param([string[]] $Lines, [string] $Prefix)
    $sections = [ordered]@{}
    $name = $null
    $inCode = $false
    foreach ($line in $Lines) {
        if ($line -match '^\s*```') { $inCode = -not $inCode }
        if (-not $inCode -and $line.StartsWith($Prefix) -and -not $line.StartsWith($Prefix + '#')) {
            $name = $line.Substring($Prefix.Length).Trim()
            if ($sections.Contains($name)) { throw "Heading '$Prefix$name' appears twice." }
            $sections[$name] = New-Object System.Collections.Generic.List[string]
            continue
        }
        if ($null -ne $name) { $sections[$name].Add($line) }
    }
    $sections
}

function Get-FencedBlocks {
    # Returns @{ Lang; Lines } for each fenced block and the text lines outside any block.
    param([string[]] $Lines)
    $blocks = New-Object System.Collections.Generic.List[object]
    $text = New-Object System.Collections.Generic.List[string]
    $current = $null
    foreach ($line in $Lines) {
        if ($line -match '^\s*```\s*(\S*)\s*$') {
            if ($null -eq $current) {
                $current = [pscustomobject]@{ Lang = $Matches[1]; Lines = New-Object System.Collections.Generic.List[string] }
            } else {
                $blocks.Add($current); $current = $null
            }
            continue
        }
        if ($null -ne $current) { $current.Lines.Add($line) } else { $text.Add($line) }
    }
    if ($null -ne $current) { throw 'A fenced code block is not closed.' }
    [pscustomobject]@{ Blocks = $blocks.ToArray(); Text = $text.ToArray() }
}

function ConvertFrom-ParameterYaml {
    # The small, fixed YAML subset platyPS writes for a parameter: `Key: value` lines.
    param([string[]] $Lines, [string] $Parameter, [string] $File)
    $map = @{}
    foreach ($line in $Lines) {
        if ($line.Trim() -eq '') { continue }
        if ($line -notmatch '^([A-Za-z ]+):\s*(.*)$') { throw "${File}: parameter -${Parameter}: cannot read YAML line '$line'." }
        $map[$Matches[1].Trim()] = $Matches[2].Trim()
    }
    foreach ($key in 'Type', 'Parameter Sets', 'Required', 'Position', 'Accept pipeline input') {
        if (-not $map.ContainsKey($key)) { throw "${File}: parameter -${Parameter}: YAML block lacks '${key}:'." }
    }
    $split = { param($v) if ($v) { @($v -split '\s*,\s*' | Where-Object { $_ }) } else { @() } }
    $required = $map['Required']
    if ($required -notin 'True', 'False') { throw "${File}: parameter -${Parameter}: Required is '$required'; allowed: True, False." }
    $position = $map['Position']
    if ($position -ne 'Named' -and $position -notmatch '^\d+$') { throw "${File}: parameter -${Parameter}: Position is '$position'; allowed: Named or a number." }
    $pipeline = $map['Accept pipeline input']
    if ($pipeline -notmatch '^(False|True \((ByValue|ByPropertyName|ByValue, ByPropertyName)\))$') {
        throw "${File}: parameter -${Parameter}: Accept pipeline input is '$pipeline'; allowed: False, True (ByValue), True (ByPropertyName), True (ByValue, ByPropertyName)."
    }
    $wildcard = if ($map.ContainsKey('Accept wildcard characters')) { $map['Accept wildcard characters'] } else { 'False' }
    $limits = [ordered]@{}
    foreach ($key in $script:LimitKeys) {
        if ($map.ContainsKey($key)) {
            if ($map[$key] -notmatch '^-?\d+ to -?\d+$') { throw "${File}: parameter -${Parameter}: ${key} is '$($map[$key])'; write '<min> to <max>'." }
            $limits[$key] = $map[$key]
        }
    }
    [pscustomobject]@{
        Type           = $map['Type']
        ParameterSets  = @(& $split $map['Parameter Sets'])
        Aliases        = @(& $split $(if ($map.ContainsKey('Aliases')) { $map['Aliases'] } else { '' }))
        AcceptedValues = @(& $split $(if ($map.ContainsKey('Accepted values')) { $map['Accepted values'] } else { '' }))
        Required       = ($required -eq 'True')
        Position       = $position
        DefaultValue   = $(if ($map.ContainsKey('Default value') -and $map['Default value']) { $map['Default value'] } else { 'None' })
        PipelineInput  = $pipeline
        Wildcard       = ($wildcard -eq 'True')
        # Accepted range / length / count, from the cmdlet's [ValidateRange], [ValidateLength], [ValidateCount].
        Limits         = $limits
    }
}

function Read-HelpMarkdown {
    <#
    .SYNOPSIS
    Parses one cmdlet help markdown file into an object (throws with the file name on bad layout).
    #>
    [CmdletBinding()]
    param([Parameter(Mandatory, ValueFromPipelineByPropertyName)] [Alias('FullName')] [string] $Path)
    process {
        $file = Split-Path -Leaf $Path
        $lines = @([System.IO.File]::ReadAllLines((Resolve-Path -LiteralPath $Path).ProviderPath))
        if ($lines.Count -lt 3 -or $lines[0] -ne '---') { throw "${file}: must start with front matter ('---')." }
        $end = [Array]::IndexOf($lines, '---', 1)
        if ($end -lt 0) { throw "${file}: front matter is not closed with '---'." }
        $front = [ordered]@{}
        foreach ($l in $lines[1..($end - 1)]) {
            if ($l -match '^([^:]+):\s*(.*)$') { $front[$Matches[1].Trim()] = $Matches[2].Trim() }
        }
        $body = @($lines | Select-Object -Skip ($end + 1))
        $titleLine = $body | Where-Object { $_ -match '^# \S' } | Select-Object -First 1
        if (-not $titleLine) { throw "${file}: no '# <Cmdlet name>' title." }
        $name = $titleLine.Substring(2).Trim()
        if ([IO.Path]::GetFileNameWithoutExtension($file) -ne $name) { throw "${file}: title '$name' does not match the file name." }

        $sections = Split-HelpSections -Lines $body -Prefix '## '
        foreach ($required in 'SYNOPSIS', 'SYNTAX', 'DESCRIPTION', 'EXAMPLES', 'PARAMETERS', 'INPUTS', 'OUTPUTS', 'NOTES', 'RELATED LINKS') {
            if (-not $sections.Contains($required)) { throw "${file}: section '## $required' is missing." }
        }

        $syntax = foreach ($entry in (Split-HelpSections -Lines $sections['SYNTAX'] -Prefix '### ').GetEnumerator()) {
            $fenced = Get-FencedBlocks -Lines $entry.Value
            [pscustomobject]@{ SetName = $entry.Key; Text = (@($fenced.Blocks | ForEach-Object { $_.Lines }) -join "`n").Trim() }
        }

        $examples = foreach ($entry in (Split-HelpSections -Lines $sections['EXAMPLES'] -Prefix '### ').GetEnumerator()) {
            $fenced = Get-FencedBlocks -Lines $entry.Value
            # ```powershell blocks are the code; an ```output block is what it prints (the tests
            # run the code against the Graph emulator and compare); <!-- not run: reason --> skips it.
            $scriptText = (@($fenced.Blocks | Where-Object { $_.Lang -ne 'output' } | ForEach-Object { ($_.Lines -join "`n").Trim() }) -join "`n`n")
            $outputBlocks = @($fenced.Blocks | Where-Object { $_.Lang -eq 'output' })
            if ($outputBlocks.Count -gt 1) { throw "${file}: example '$($entry.Key)' has more than one output block." }
            $output = if ($outputBlocks.Count) { ($outputBlocks[0].Lines -join "`n").Trim("`n") } else { $null }
            $notRun = $null
            $text = foreach ($l in $fenced.Text) {
                if ($l -match $script:NotRunPattern) { $notRun = $Matches[1]; continue }
                $l
            }
            [pscustomobject]@{
                Title   = $entry.Key
                # What Get-Help shows as the example's code: the code, then what it prints (as platyPS does).
                Code    = $(if ($null -ne $output) { $scriptText + "`n`n" + $output } else { $scriptText })
                Script  = $scriptText
                Output  = $output
                NotRun  = $notRun
                Remarks = ConvertTo-HelpParagraphs @($text)
            }
        }

        $parameters = foreach ($entry in (Split-HelpSections -Lines $sections['PARAMETERS'] -Prefix '### ').GetEnumerator()) {
            if ($entry.Key -eq 'CommonParameters') { continue }
            if ($entry.Key -notmatch '^-(\w+)$') { throw "${file}: parameter heading '### $($entry.Key)' must be '### -Name'." }
            $pname = $Matches[1]
            $fenced = Get-FencedBlocks -Lines $entry.Value
            $yaml = @($fenced.Blocks | Where-Object { $_.Lang -eq 'yaml' })
            if (-not $yaml) { throw "${file}: parameter -${pname} has no yaml block." }
            [pscustomobject]@{
                Name        = $pname
                Description = ConvertTo-HelpParagraphs $fenced.Text
                Metadata    = @($yaml | ForEach-Object { ConvertFrom-ParameterYaml -Lines $_.Lines -Parameter $pname -File $file })
            }
        }

        $typed = {
            param($sectionLines)
            foreach ($entry in (Split-HelpSections -Lines $sectionLines -Prefix '### ').GetEnumerator()) {
                $props = $null
                $sets = $null
                foreach ($l in $entry.Value) {
                    if ($l -match $script:PropertiesPattern) { $props = @($Matches[1] -split ',\s*') }
                    if ($l -match $script:OutputSetsPattern) { $sets = @($Matches[1] -split ',\s*') }
                }
                [pscustomobject]@{ Type = $entry.Key; Description = ConvertTo-HelpParagraphs $entry.Value; Properties = $props; Sets = $sets }
            }
        }

        $links = foreach ($l in $sections['RELATED LINKS']) {
            if ($l -match '^\s*[-*]?\s*\[([^\]]+)\]\(([^)]*)\)') { [pscustomobject]@{ Text = $Matches[1]; Uri = $Matches[2] } }
        }

        [pscustomobject]@{
            Name        = $name
            Path        = $Path
            File        = $file
            FrontMatter = $front
            Synopsis    = ((ConvertTo-HelpParagraphs $sections['SYNOPSIS']) -join ' ')
            Syntax      = @($syntax)
            Description = ConvertTo-HelpParagraphs $sections['DESCRIPTION']
            Examples    = @($examples)
            Parameters  = @($parameters)
            Inputs      = @(& $typed $sections['INPUTS'])
            Outputs     = @(& $typed $sections['OUTPUTS'])
            Notes       = ConvertTo-HelpParagraphs $sections['NOTES']
            Links       = @($links)
        }
    }
}

function Get-HelpParameterSetNames {
    # The named parameter sets a help object declares, in first-seen order; '(All)' alone = one set.
    param($Help)
    $names = New-Object System.Collections.Generic.List[string]
    foreach ($p in $Help.Parameters) {
        foreach ($m in $p.Metadata) {
            foreach ($s in $m.ParameterSets) { if ($s -ne '(All)' -and -not $names.Contains($s)) { $names.Add($s) } }
        }
    }
    if ($names.Count -eq 0) { $names.Add('__AllParameterSets') }
    , $names.ToArray()
}

function Get-HelpSetParameters {
    # The parameters (with the metadata block that applies) of one parameter set, in syntax order:
    # positional by position, then mandatory named, then optional named, then WhatIf/Confirm.
    param($Help, [string] $SetName)
    $rows = foreach ($p in $Help.Parameters) {
        $meta = $p.Metadata | Where-Object { $_.ParameterSets -contains $SetName } | Select-Object -First 1
        if (-not $meta) { $meta = $p.Metadata | Where-Object { $_.ParameterSets -contains '(All)' } | Select-Object -First 1 }
        if ($meta) { [pscustomobject]@{ Parameter = $p; Meta = $meta } }
    }
    $rank = {
        param($r)
        if ($r.Parameter.Name -in 'WhatIf', 'Confirm') { return 3000 }
        if ($r.Meta.Position -ne 'Named') { return [int]$r.Meta.Position }
        if ($r.Meta.Required) { return 1000 }
        2000
    }
    $i = 0
    @($rows | ForEach-Object { $i++; [pscustomobject]@{ Row = $_; Rank = (& $rank $_); Index = $i } } |
        Sort-Object Rank, Index | ForEach-Object { $_.Row })
}

function Get-HelpSyntaxText {
    <#
    .SYNOPSIS
    Renders the syntax line of each parameter set from the help's own parameter metadata.
    #>
    param($Help)
    foreach ($set in (Get-HelpParameterSetNames $Help)) {
        $parts = New-Object System.Collections.Generic.List[string]
        $parts.Add($Help.Name)
        foreach ($row in (Get-HelpSetParameters $Help $set)) {
            $m = $row.Meta
            $pn = "-$($row.Parameter.Name)"
            if ($m.Position -ne 'Named') { $pn = "[$pn]" }
            $text = if ($m.Type -eq 'SwitchParameter') { $pn } else { "$pn <$($m.Type)>" }
            if (-not $m.Required) { $text = "[$text]" }
            $parts.Add($text)
        }
        $parts.Add('[<CommonParameters>]')
        [pscustomobject]@{ SetName = $(if ($set -eq '__AllParameterSets') { '__AllParameterSets' } else { $set }); Text = ($parts -join ' ') }
    }
}

function Write-MamlParas {
    param([System.Xml.XmlWriter] $W, [string[]] $Paras)
    foreach ($p in $Paras) { $W.WriteElementString('maml', 'para', $script:NsMaml, $p) }
}

function Write-MamlParameter {
    param([System.Xml.XmlWriter] $W, $Parameter, $Meta, [switch] $InSyntax)
    $W.WriteStartElement('command', 'parameter', $script:NsCommand)
    $W.WriteAttributeString('required', $Meta.Required.ToString().ToLowerInvariant())
    $W.WriteAttributeString('variableLength', $(if ($Meta.Type -like '*`[`]') { 'true' } else { 'false' }))
    $W.WriteAttributeString('globbing', $Meta.Wildcard.ToString().ToLowerInvariant())
    $W.WriteAttributeString('pipelineInput', $Meta.PipelineInput)
    $W.WriteAttributeString('position', $(if ($Meta.Position -eq 'Named') { 'named' } else { $Meta.Position }))
    $W.WriteAttributeString('aliases', $(if ($Meta.Aliases.Count) { $Meta.Aliases -join ', ' } else { 'none' }))
    $W.WriteElementString('maml', 'name', $script:NsMaml, $Parameter.Name)
    $W.WriteStartElement('maml', 'description', $script:NsMaml)
    Write-MamlParas $W $Parameter.Description
    foreach ($k in $Meta.Limits.Keys) { $W.WriteElementString('maml', 'para', $script:NsMaml, "${k}: $($Meta.Limits[$k]).") }
    $W.WriteEndElement()
    if ($InSyntax -and $Meta.AcceptedValues.Count) {
        $W.WriteStartElement('command', 'parameterValueGroup', $script:NsCommand)
        foreach ($v in $Meta.AcceptedValues) {
            $W.WriteStartElement('command', 'parameterValue', $script:NsCommand)
            $W.WriteAttributeString('required', 'false')
            $W.WriteAttributeString('command', 'variableLength', $script:NsCommand, 'false')
            $W.WriteString($v)
            $W.WriteEndElement()
        }
        $W.WriteEndElement()
    }
    if ($Meta.Type -ne 'SwitchParameter' -or -not $InSyntax) {
        $W.WriteStartElement('command', 'parameterValue', $script:NsCommand)
        $W.WriteAttributeString('required', $(if ($Meta.Type -eq 'SwitchParameter') { 'false' } else { 'true' }))
        $W.WriteAttributeString('variableLength', 'false')
        $W.WriteString($Meta.Type)
        $W.WriteEndElement()
    }
    $W.WriteStartElement('dev', 'type', $script:NsDev)
    $W.WriteElementString('maml', 'name', $script:NsMaml, $Meta.Type)
    $W.WriteElementString('maml', 'uri', $script:NsMaml, '')
    $W.WriteEndElement()
    $W.WriteElementString('dev', 'defaultValue', $script:NsDev, $Meta.DefaultValue)
    $W.WriteEndElement()
}

function ConvertTo-HelpMaml {
    <#
    .SYNOPSIS
    Renders help objects (from Read-HelpMarkdown) as one MAML document (a string, LF line ends).
    The output depends only on the input, so a committed copy can be compared byte for byte.
    #>
    param([Parameter(Mandatory)] [object[]] $Help)
    $settings = New-Object System.Xml.XmlWriterSettings
    $settings.Indent = $true
    $settings.IndentChars = '  '
    $settings.NewLineChars = "`n"
    $settings.Encoding = New-Object System.Text.UTF8Encoding($false)
    $stream = New-Object System.IO.MemoryStream
    $w = [System.Xml.XmlWriter]::Create($stream, $settings)
    $w.WriteStartDocument()
    $w.WriteStartElement('helpItems', $script:NsMsh)
    $w.WriteAttributeString('schema', 'maml')
    $w.WriteAttributeString('xmlns', 'maml', $null, $script:NsMaml)
    $w.WriteAttributeString('xmlns', 'command', $null, $script:NsCommand)
    $w.WriteAttributeString('xmlns', 'dev', $null, $script:NsDev)
    foreach ($h in ($Help | Sort-Object Name)) {
        $verb, $noun = $h.Name -split '-', 2
        $w.WriteStartElement('command', 'command', $script:NsCommand)
        $w.WriteStartElement('command', 'details', $script:NsCommand)
        $w.WriteElementString('command', 'name', $script:NsCommand, $h.Name)
        $w.WriteElementString('command', 'verb', $script:NsCommand, $verb)
        $w.WriteElementString('command', 'noun', $script:NsCommand, $noun)
        $w.WriteStartElement('maml', 'description', $script:NsMaml)
        Write-MamlParas $w @($h.Synopsis)
        $w.WriteEndElement()
        $w.WriteEndElement()

        $w.WriteStartElement('maml', 'description', $script:NsMaml)
        Write-MamlParas $w $h.Description
        $w.WriteEndElement()

        $w.WriteStartElement('command', 'syntax', $script:NsCommand)
        foreach ($set in (Get-HelpParameterSetNames $h)) {
            $w.WriteStartElement('command', 'syntaxItem', $script:NsCommand)
            $w.WriteElementString('maml', 'name', $script:NsMaml, $h.Name)
            foreach ($row in (Get-HelpSetParameters $h $set)) { Write-MamlParameter $w $row.Parameter $row.Meta -InSyntax }
            $w.WriteEndElement()
        }
        $w.WriteEndElement()

        $w.WriteStartElement('command', 'parameters', $script:NsCommand)
        foreach ($p in $h.Parameters) { Write-MamlParameter $w $p $p.Metadata[0] }
        $w.WriteEndElement()

        foreach ($kind in @(@('inputTypes', 'inputType', $h.Inputs), @('returnValues', 'returnValue', $h.Outputs))) {
            $w.WriteStartElement('command', $kind[0], $script:NsCommand)
            foreach ($t in $kind[2]) {
                $w.WriteStartElement('command', $kind[1], $script:NsCommand)
                $w.WriteStartElement('dev', 'type', $script:NsDev)
                $w.WriteElementString('maml', 'name', $script:NsMaml, $t.Type)
                $w.WriteEndElement()
                $w.WriteStartElement('maml', 'description', $script:NsMaml)
                Write-MamlParas $w $t.Description
                $w.WriteEndElement()
                $w.WriteEndElement()
            }
            $w.WriteEndElement()
        }

        $w.WriteStartElement('maml', 'alertSet', $script:NsMaml)
        $w.WriteStartElement('maml', 'alert', $script:NsMaml)
        Write-MamlParas $w $h.Notes
        $w.WriteEndElement()
        $w.WriteEndElement()

        $w.WriteStartElement('command', 'examples', $script:NsCommand)
        foreach ($e in $h.Examples) {
            $w.WriteStartElement('command', 'example', $script:NsCommand)
            $w.WriteElementString('maml', 'title', $script:NsMaml, "---------- $($e.Title) ----------")
            $w.WriteElementString('dev', 'code', $script:NsDev, $e.Code)
            $w.WriteStartElement('dev', 'remarks', $script:NsDev)
            Write-MamlParas $w $e.Remarks
            $w.WriteEndElement()
            $w.WriteEndElement()
        }
        $w.WriteEndElement()

        $w.WriteStartElement('command', 'relatedLinks', $script:NsCommand)
        # Get-Help -Online opens the first related link with a web address: the cmdlet's page, as platyPS does.
        if ($h.FrontMatter.Contains('online version') -and $h.FrontMatter['online version']) {
            $w.WriteStartElement('maml', 'navigationLink', $script:NsMaml)
            $w.WriteElementString('maml', 'linkText', $script:NsMaml, 'Online Version:')
            $w.WriteElementString('maml', 'uri', $script:NsMaml, $h.FrontMatter['online version'])
            $w.WriteEndElement()
        }
        foreach ($l in $h.Links) {
            $w.WriteStartElement('maml', 'navigationLink', $script:NsMaml)
            $w.WriteElementString('maml', 'linkText', $script:NsMaml, $l.Text)
            # Only web addresses mean something to Get-Help -Online; links between markdown files do not.
            $w.WriteElementString('maml', 'uri', $script:NsMaml, $(if ($l.Uri -match '^https?://') { $l.Uri } else { '' }))
            $w.WriteEndElement()
        }
        $w.WriteEndElement()
        $w.WriteEndElement()
    }
    $w.WriteEndElement()
    $w.WriteEndDocument()
    $w.Flush()
    $w.Dispose()
    $text = [System.Text.Encoding]::UTF8.GetString($stream.ToArray())
    $text + "`n"
}

function Test-HelpMarkdown {
    <#
    .SYNOPSIS
    Problems inside one help object, each as a sentence naming the file (empty = fine).
    #>
    param([Parameter(Mandatory)] $Help)
    $f = $Help.File
    foreach ($key in 'Module Name', 'external help file', 'issue') {
        if (-not $Help.FrontMatter.Contains($key) -or -not $Help.FrontMatter[$key]) { "${f}: front matter lacks '${key}'." }
    }
    if (-not $Help.Synopsis) { "${f}: the synopsis is empty." }
    if (-not $Help.Description.Count) { "${f}: the description is empty." }
    if (-not $Help.Examples.Count) { "${f}: has no example." }
    $online = Get-HelpOnlineUri $Help.Name
    if (-not $Help.FrontMatter.Contains('online version') -or $Help.FrontMatter['online version'] -ne $online) {
        "${f}: front matter 'online version' must be $online (Get-Help -Online opens it; -UpdateMarkdown writes it)."
    }
    foreach ($e in $Help.Examples) {
        if (-not $e.Script) { "${f}: example '$($e.Title)' has no code." }
        if ($null -ne $e.NotRun -and -not $e.NotRun) { "${f}: example '$($e.Title)' is marked 'not run' without a reason." }
        if ($e.NotRun -and $null -ne $e.Output) { "${f}: example '$($e.Title)' shows output but is marked 'not run': shown output must come from running it." }
        if (-not $e.Remarks.Count) { "${f}: example '$($e.Title)' has no remarks explaining it." }
    }
    foreach ($p in $Help.Parameters) {
        if (-not $p.Description.Count) { "${f}: parameter -$($p.Name) has no description." }
    }
    if (-not $Help.Inputs.Count) { "${f}: INPUTS names no type (write '### None' when nothing is piped)." }
    if (-not $Help.Outputs.Count) { "${f}: OUTPUTS names no type (write '### None' when nothing is written)." }
    $all = (Get-Content -LiteralPath $Help.Path -Raw)
    if ($all.Contains($script:Placeholder)) { "${f}: still holds a '$($script:Placeholder) ...' placeholder." }
    $dupes = $Help.Parameters | Group-Object Name | Where-Object Count -gt 1
    foreach ($d in $dupes) { "${f}: parameter -$($d.Name) is documented twice." }
    $expected = @(Get-HelpSyntaxText $Help)
    $actual = @($Help.Syntax)
    $expectedText = ($expected | ForEach-Object { "### $($_.SetName)`n$($_.Text)" }) -join "`n"
    $actualText = ($actual | ForEach-Object { "### $($_.SetName)`n$($_.Text)" }) -join "`n"
    if ($expectedText -ne $actualText) {
        "${f}: the SYNTAX section does not match the parameters' metadata. Expected:`n$expectedText`nFound:`n$actualText`n(Run tools/help/Build-Help.ps1 -UpdateMarkdown to rewrite it.)"
    }
}

function Get-ParameterTypeName {
    # The short type name used in help: String, String[], SwitchParameter, Nullable[Int32].
    param([Type] $Type)
    if ($Type.IsGenericType) {
        $args2 = @($Type.GetGenericArguments() | ForEach-Object { Get-ParameterTypeName $_ }) -join ','
        return ($Type.Name -replace '`\d+$', '') + "[$args2]"
    }
    $Type.Name
}

function Get-HelpOnlineUri {
    <# .SYNOPSIS The web page of a cmdlet's help (what `online version:` and Get-Help -Online say). #>
    param([Parameter(Mandatory)] [string] $Name)
    "$($script:DocsBaseUri)$Name.md"
}

function Get-DeclaredProperty {
    # The property as the most derived class declares it (a `new` property hides the base one).
    param([Type] $Type, [string] $Name)
    for ($t = $Type; $null -ne $t; $t = $t.BaseType) {
        $p = $t.GetProperty($Name, [System.Reflection.BindingFlags]'Public, Instance, DeclaredOnly')
        if ($p) { return $p }
    }
    $null
}

function Get-ParameterDefaultText {
    # A parameter's default as help shows it, read from the compiled cmdlet: [PSDefaultValue] when
    # the default is applied elsewhere (its Value, else its Help text), else the property's value
    # on a new instance of the cmdlet (None for null or an empty array; False for a switch).
    param([System.Reflection.PropertyInfo] $Property, $Instance)
    $declared = @($Property.GetCustomAttributes([System.Management.Automation.PSDefaultValueAttribute], $true))
    if ($declared.Count) {
        if ($null -ne $declared[0].Value) { return [string]$declared[0].Value }
        return [string]$declared[0].Help
    }
    $value = $Property.GetValue($Instance)
    if ($null -eq $value) { return 'None' }
    if ($value -is [System.Management.Automation.SwitchParameter]) { return $value.IsPresent.ToString() }
    if ($value -is [Array]) { if ($value.Length -eq 0) { return 'None' } else { return ($value -join ', ') } }
    [string]$value
}

function Get-ParameterLimits {
    # [ValidateRange], [ValidateLength] and [ValidateCount] as the yaml lines show them.
    param([System.Management.Automation.ParameterMetadata] $Parameter)
    $limits = [ordered]@{}
    foreach ($a in $Parameter.Attributes) {
        if ($a -is [System.Management.Automation.ValidateRangeAttribute] -and $null -ne $a.MinRange) { $limits['Accepted range'] = "$($a.MinRange) to $($a.MaxRange)" }
        elseif ($a -is [System.Management.Automation.ValidateLengthAttribute]) { $limits['Accepted length'] = "$($a.MinLength) to $($a.MaxLength)" }
        elseif ($a -is [System.Management.Automation.ValidateCountAttribute]) { $limits['Accepted count'] = "$($a.MinLength) to $($a.MaxLength)" }
    }
    $ordered = [ordered]@{}
    foreach ($k in $script:LimitKeys) { if ($limits.Contains($k)) { $ordered[$k] = $limits[$k] } }
    $ordered
}

function Get-CommandOutputFacts {
    <#
    .SYNOPSIS
    The output types a compiled cmdlet declares ([OutputType]), each with the parameter sets it is
    written in (empty: all) and, for the module's own types, its public properties in declaration
    order.
    #>
    param([Parameter(Mandatory)] [System.Management.Automation.CommandInfo] $Command)
    $seen = [ordered]@{}
    foreach ($attr in @($Command.ImplementingType.GetCustomAttributes([System.Management.Automation.OutputTypeAttribute], $true))) {
        foreach ($t in $attr.Type) {
            $name = if ($t.Type) { $t.Type.FullName } else { $t.Name }
            if (-not $seen.Contains($name)) {
                $props = $null
                if ($t.Type -and $t.Type.Namespace -eq 'PhotoUpdatePolicy') {
                    $props = @($t.Type.GetProperties([System.Reflection.BindingFlags]'Public, Instance') |
                            Where-Object { $_.GetIndexParameters().Count -eq 0 } | ForEach-Object Name)
                }
                $seen[$name] = [pscustomobject]@{ Type = $name; Properties = $props; Sets = New-Object System.Collections.Generic.List[string] }
            }
            foreach ($set in @($attr.ParameterSetName)) { if ($set -and -not $seen[$name].Sets.Contains($set)) { $seen[$name].Sets.Add($set) } }
        }
    }
    # Declared for every set by one attribute: written in all of them.
    foreach ($o in $seen.Values) { if ($o.Sets.Contains('__AllParameterSets')) { $o.Sets.Clear() } }
    @($seen.Values)
}

function Get-CommandParameterFacts {
    <#
    .SYNOPSIS
    What a loaded cmdlet really declares for each documented-worthy parameter (common parameters
    excluded; WhatIf and Confirm kept, as they are documented like platyPS does).
    #>
    param([Parameter(Mandatory)] [System.Management.Automation.CommandInfo] $Command)
    $common = @([System.Management.Automation.Cmdlet]::CommonParameters) + @('UseTransaction')
    $type = $Command.ImplementingType
    # A fresh instance holds each property's initial value (the cmdlet's default when not given).
    $instance = [Activator]::CreateInstance($type)
    foreach ($p in $Command.Parameters.Values) {
        if ($common -contains $p.Name) { continue }
        $property = Get-DeclaredProperty $type $p.Name
        $default = if ($p.Name -in 'WhatIf', 'Confirm') { 'False' } elseif ($property) { Get-ParameterDefaultText $property $instance } else { 'None' }
        $wildcard = [bool]($property -and $property.GetCustomAttributes([System.Management.Automation.SupportsWildcardsAttribute], $true).Count)
        $accepted = @()
        $set = $p.Attributes | Where-Object { $_ -is [System.Management.Automation.ValidateSetAttribute] } | Select-Object -First 1
        if ($set) { $accepted = @($set.ValidValues) }
        elseif ($p.ParameterType.IsEnum) { $accepted = @([Enum]::GetNames($p.ParameterType)) }
        $sets = foreach ($s in $p.ParameterSets.GetEnumerator()) {
            $m = $s.Value
            $pipe = @()
            if ($m.ValueFromPipeline) { $pipe += 'ByValue' }
            if ($m.ValueFromPipelineByPropertyName) { $pipe += 'ByPropertyName' }
            [pscustomobject]@{
                SetName       = $s.Key
                Required      = [bool]$m.IsMandatory
                Position      = $(if ($m.Position -eq [int]::MinValue) { 'Named' } else { [string]$m.Position })
                PipelineInput = $(if ($pipe) { 'True (' + ($pipe -join ', ') + ')' } else { 'False' })
            }
        }
        [pscustomobject]@{
            Name           = $p.Name
            Type           = Get-ParameterTypeName $p.ParameterType
            # What one pipeline object must be to bind by value (the element type of an array).
            ElementType    = $(if ($p.ParameterType.IsArray) { $p.ParameterType.GetElementType().FullName } else { $p.ParameterType.FullName })
            Aliases        = @($p.Aliases | Sort-Object)
            AcceptedValues = @($accepted)
            Limits         = Get-ParameterLimits $p
            DefaultValue   = $default
            Wildcard       = $wildcard
            Sets           = @($sets)
        }
    }
}

function Compare-HelpWithCommand {
    <#
    .SYNOPSIS
    Differences between a help object and the loaded cmdlet, each a sentence (empty = in sync).
    #>
    param([Parameter(Mandatory)] $Help, [Parameter(Mandatory)] [System.Management.Automation.CommandInfo] $Command)
    $f = $Help.File
    $facts = @(Get-CommandParameterFacts $Command)
    $docNames = @($Help.Parameters | ForEach-Object Name)
    foreach ($fact in $facts) {
        if ($docNames -notcontains $fact.Name) { "${f}: parameter -$($fact.Name) ($($fact.Type)) exists on the cmdlet but is not documented." }
    }
    foreach ($p in $Help.Parameters) {
        $fact = $facts | Where-Object Name -eq $p.Name
        if (-not $fact) { "${f}: parameter -$($p.Name) is documented but the cmdlet has no such parameter."; continue }
        $liveSets = @($fact.Sets | ForEach-Object SetName)
        $docSets = @($p.Metadata | ForEach-Object { $_.ParameterSets })
        foreach ($s in $fact.Sets) {
            $docSetName = if ($s.SetName -eq '__AllParameterSets') { '(All)' } else { $s.SetName }
            $meta = $p.Metadata | Where-Object { $_.ParameterSets -contains $docSetName } | Select-Object -First 1
            if (-not $meta) { "${f}: parameter -$($p.Name): no yaml block lists parameter set '$docSetName' (the cmdlet has it)."; continue }
            $where = "parameter -$($p.Name) (set $docSetName)"
            if ($meta.Type -ne $fact.Type) { "${f}: ${where}: Type is '$($meta.Type)', the cmdlet says '$($fact.Type)'." }
            if ($meta.Required -ne $s.Required) { "${f}: ${where}: Required is $($meta.Required), the cmdlet says $($s.Required)." }
            if ($meta.Position -ne $s.Position) { "${f}: ${where}: Position is '$($meta.Position)', the cmdlet says '$($s.Position)'." }
            if ($meta.PipelineInput -ne $s.PipelineInput) { "${f}: ${where}: Accept pipeline input is '$($meta.PipelineInput)', the cmdlet says '$($s.PipelineInput)'." }
            if ((@($meta.Aliases | Sort-Object) -join ',') -ne ($fact.Aliases -join ',')) { "${f}: ${where}: Aliases are '$($meta.Aliases -join ', ')', the cmdlet says '$($fact.Aliases -join ', ')'." }
            if ((@($meta.AcceptedValues | Sort-Object) -join ',') -ne (@($fact.AcceptedValues | Sort-Object) -join ',')) {
                "${f}: ${where}: Accepted values are '$($meta.AcceptedValues -join ', ')', the cmdlet says '$($fact.AcceptedValues -join ', ')'."
            }
            foreach ($k in $script:LimitKeys) {
                $doc = if ($meta.Limits.Contains($k)) { $meta.Limits[$k] } else { '(none)' }
                $live = if ($fact.Limits.Contains($k)) { $fact.Limits[$k] } else { '(none)' }
                if ($doc -ne $live) { "${f}: ${where}: ${k} is '$doc', the cmdlet says '$live'." }
            }
            if ($meta.DefaultValue -ne $fact.DefaultValue) { "${f}: ${where}: Default value is '$($meta.DefaultValue)', the cmdlet says '$($fact.DefaultValue)'." }
            if ($meta.Wildcard -ne $fact.Wildcard) { "${f}: ${where}: Accept wildcard characters is $($meta.Wildcard), the cmdlet says $($fact.Wildcard) ([SupportsWildcards])." }
        }
        foreach ($ds in $docSets) {
            $liveName = if ($ds -eq '(All)') { '__AllParameterSets' } else { $ds }
            if ($liveSets -notcontains $liveName) { "${f}: parameter -$($p.Name) is documented in parameter set '$ds', which the cmdlet does not give it." }
        }
    }
    # INPUTS: 'None' exactly when no parameter takes pipeline input; the type of each parameter that
    # binds by value is named (any object can bind by property name, so those are not checked).
    $docInputs = @($Help.Inputs | ForEach-Object Type)
    $piped = @($facts | Where-Object { @($_.Sets | Where-Object PipelineInput -ne 'False').Count })
    if ($piped.Count -and -not @($docInputs | Where-Object { $_ -ne 'None' }).Count) {
        "${f}: INPUTS says None, but $(@($piped | ForEach-Object { '-' + $_.Name }) -join ', ') take(s) pipeline input."
    }
    if (-not $piped.Count -and @($docInputs | Where-Object { $_ -ne 'None' }).Count) {
        "${f}: INPUTS names $(@($docInputs) -join ', '), but no parameter takes pipeline input (write '### None')."
    }
    foreach ($fact in $piped) {
        if (-not @($fact.Sets | Where-Object PipelineInput -like '*ByValue*').Count) { continue }
        if ($fact.ElementType -in 'System.Object', 'System.Management.Automation.PSObject') { continue }
        if ($docInputs -notcontains $fact.ElementType) { "${f}: INPUTS lacks $($fact.ElementType): -$($fact.Name) takes it from the pipeline by value." }
    }
    # OUTPUTS: exactly the [OutputType] types ('None' may be added: what is written without a switch),
    # each of the module's own types with its real property list.
    $outputs = @(Get-CommandOutputFacts $Command)
    $docTypes = @($Help.Outputs | Where-Object Type -ne 'None' | ForEach-Object Type)
    foreach ($o in $outputs) {
        $doc = $Help.Outputs | Where-Object Type -eq $o.Type | Select-Object -First 1
        if (-not $doc) { "${f}: OUTPUTS lacks $($o.Type), which the cmdlet declares with [OutputType]."; continue }
        if ($null -ne $o.Properties) {
            $expected = $o.Properties -join ', '
            if ($null -eq $doc.Properties) { "${f}: OUTPUTS $($o.Type): no 'Properties: ...' line; the type has: $expected. (-UpdateMarkdown writes it.)" }
            elseif (($doc.Properties -join ', ') -ne $expected) { "${f}: OUTPUTS $($o.Type): Properties are '$($doc.Properties -join ', ')', the type has '$expected'." }
        } elseif ($null -ne $doc.Properties) { "${f}: OUTPUTS $($o.Type): lists properties, but only the module's own types' properties are checked; remove the line." }
        $liveSets = @($o.Sets | Where-Object { $_ -ne '__AllParameterSets' })
        $docSets = @($doc.Sets | Where-Object { $_ })
        if (($docSets -join ', ') -ne ($liveSets -join ', ')) {
            "${f}: OUTPUTS $($o.Type): written in parameter sets '$($docSets -join ', ')' says the help, '$($liveSets -join ', ')' says [OutputType] (empty: all). (-UpdateMarkdown writes the line.)"
        }
    }
    foreach ($t in $docTypes) {
        if (-not ($outputs | Where-Object Type -eq $t)) { "${f}: OUTPUTS names $t, which the cmdlet does not declare with [OutputType] (it declares: $(@($outputs | ForEach-Object Type) -join ', '))." }
    }
}

function Update-HelpMarkdown {
    <#
    .SYNOPSIS
    Rewrites the yaml blocks and the SYNTAX section of a help file from the loaded cmdlet, adds a
    section (with a placeholder the checks reject) for each undocumented parameter, and removes the
    sections of parameters the cmdlet lacks. Descriptions and examples written by hand are kept.
    #>
    param([Parameter(Mandatory)] [string] $Path, [System.Management.Automation.CommandInfo] $Command)
    $lines = New-Object System.Collections.Generic.List[string]
    $lines.AddRange([string[]][System.IO.File]::ReadAllLines($Path))
    $help = Read-HelpMarkdown -Path $Path
    if ($Command) {
        $facts = @(Get-CommandParameterFacts $Command)
        $docNames = @($help.Parameters | ForEach-Object Name)
        $section = { param($n) $lines.IndexOf("### -$n") }
        $nextHeading = {
            param($from)
            for ($i = $from + 1; $i -lt $lines.Count; $i++) { if ($lines[$i] -match '^##+ ') { return $i } }
            $lines.Count
        }
        foreach ($p in $help.Parameters) {
            if ($facts | Where-Object Name -eq $p.Name) { continue }
            $start = & $section $p.Name
            $end = & $nextHeading $start
            $lines.RemoveRange($start, $end - $start)
        }
        foreach ($fact in $facts) {
            $yaml = foreach ($s in $fact.Sets) {
                '```yaml'
                "Type: $($fact.Type)"
                "Parameter Sets: $(if ($s.SetName -eq '__AllParameterSets') { '(All)' } else { $s.SetName })"
                "Aliases: $($fact.Aliases -join ', ')".TrimEnd()
                if ($fact.AcceptedValues.Count) { "Accepted values: $($fact.AcceptedValues -join ', ')" }
                foreach ($k in $fact.Limits.Keys) { "${k}: $($fact.Limits[$k])" }
                ''
                "Required: $($s.Required)"
                "Position: $($s.Position)"
                "Default value: $($fact.DefaultValue)"
                "Accept pipeline input: $($s.PipelineInput)"
                "Accept wildcard characters: $($fact.Wildcard)"
                '```'
                ''
            }
            if ($docNames -contains $fact.Name) {
                $start = & $section $fact.Name
                $end = & $nextHeading $start
                $firstYaml = -1
                for ($i = $start; $i -lt $end; $i++) { if ($lines[$i] -eq '```yaml') { $firstYaml = $i; break } }
                $lines.RemoveRange($firstYaml, $end - $firstYaml)
                $lines.InsertRange($firstYaml, [string[]]@($yaml))
            } else {
                $common = $lines.IndexOf('### CommonParameters')
                $lines.InsertRange($common, [string[]](@("### -$($fact.Name)", "$($script:Placeholder) the description of -$($fact.Name) }}", '') + @($yaml)))
            }
        }
    }
    # Front matter: the page Get-Help -Online opens.
    $frontEnd = $lines.IndexOf('---', 1)
    $onlineAt = -1
    for ($i = 1; $i -lt $frontEnd; $i++) { if ($lines[$i] -match '^online version:') { $onlineAt = $i } }
    $onlineLine = "online version: $(Get-HelpOnlineUri $help.Name)"
    if ($onlineAt -ge 0) { $lines[$onlineAt] = $onlineLine } else { $lines.Insert($frontEnd, $onlineLine) }
    if ($Command) {
        # OUTPUTS: one section per [OutputType] type (plus 'None' when written by hand), each of the
        # module's own types with a generated 'Properties: ...' line; the prose is kept.
        $outputs = @(Get-CommandOutputFacts $Command)
        $start = $lines.IndexOf('## OUTPUTS')
        $end = $lines.IndexOf('## NOTES')
        $sectionLines = @($lines.GetRange($start + 1, $end - $start - 1))
        $existing = Split-HelpSections -Lines $sectionLines -Prefix '### '
        $newSection = New-Object System.Collections.Generic.List[string]
        $newSection.Add('## OUTPUTS'); $newSection.Add('')
        $names = @(@($existing.Keys | Where-Object { $_ -eq 'None' }) + @($outputs | ForEach-Object Type))
        foreach ($name in $names) {
            $o = $outputs | Where-Object Type -eq $name
            $text = if ($existing.Contains($name)) { @($existing[$name] | Where-Object { $_ -notmatch $script:PropertiesPattern -and $_ -notmatch $script:OutputSetsPattern }) } else { @("$($script:Placeholder) when and what the cmdlet writes as $name }}") }
            $text = @(($text -join "`n").Trim() -split "`n")
            $newSection.Add("### $name")
            foreach ($l in $text) { $newSection.Add($l) }
            # The generated lines form their own paragraph in Get-Help.
            $outSets = @($o | ForEach-Object { $_.Sets } | Where-Object { $_ -and $_ -ne '__AllParameterSets' })
            if ($outSets.Count -or ($o -and $null -ne $o.Properties)) { $newSection.Add('') }
            if ($outSets.Count) { $newSection.Add("Parameter sets: $($outSets -join ', ').") }
            if ($o -and $null -ne $o.Properties) { $newSection.Add("Properties: $($o.Properties -join ', ').") }
            $newSection.Add('')
        }
        $lines.RemoveRange($start, $end - $start)
        $lines.InsertRange($start, [string[]]$newSection)
    }
    # The syntax is rendered from the (possibly updated) metadata.
    $tmp = [System.IO.Path]::GetTempFileName() + '.md'
    try {
        $tmpFile = Join-Path (Split-Path $tmp) ("$($help.Name).md")
        [System.IO.File]::WriteAllText($tmpFile, (($lines -join "`n") + "`n"))
        $updated = Read-HelpMarkdown -Path $tmpFile
    } finally { Remove-Item -LiteralPath $tmpFile -ErrorAction SilentlyContinue }
    $syntaxStart = $lines.IndexOf('## SYNTAX')
    $syntaxEnd = $lines.IndexOf('## DESCRIPTION')
    $newSyntax = @('## SYNTAX', '')
    foreach ($s in (Get-HelpSyntaxText $updated)) { $newSyntax += @("### $($s.SetName)", '```', $s.Text, '```', '') }
    $lines.RemoveRange($syntaxStart, $syntaxEnd - $syntaxStart)
    $lines.InsertRange($syntaxStart, [string[]]$newSyntax)
    [System.IO.File]::WriteAllText($Path, (($lines -join "`n").TrimEnd() + "`n"))
}

function Get-CabinetChecksum {
    # [MS-CAB]'s checksum: the little-endian 32-bit words XORed into the seed, then the 1-3 bytes
    # left over (the first in bits 16-23 when there are three), as libmspack and cabinet.dll compute it.
    param([byte[]] $Data, [int] $Offset, [int] $Count, [uint32] $Seed)
    [long] $sum = $Seed
    $words = [int][Math]::Floor($Count / 4)
    $i = $Offset
    for ($n = 0; $n -lt $words; $n++) { $sum = $sum -bxor [long][BitConverter]::ToUInt32($Data, $i); $i += 4 }
    [long] $rest = 0
    switch ($Count % 4) {
        3 { $rest = ([long]$Data[$i] -shl 16) -bor ([long]$Data[$i + 1] -shl 8) -bor $Data[$i + 2] }
        2 { $rest = ([long]$Data[$i] -shl 8) -bor $Data[$i + 1] }
        1 { $rest = $Data[$i] }
    }
    [uint32](($sum -bxor $rest) -band 0xFFFFFFFFL)
}

function Write-HelpCabinet {
    <#
    .SYNOPSIS
    Writes a cabinet (.cab, [MS-CAB]) holding the given files, stored without compression: one
    folder, 32 KB data blocks, each with its checksum. Windows
    PowerShell 5.1's Update-Help reads only cabinets; makecab.exe and platyPS's
    New-ExternalHelpCab exist only on Windows, hence this writer.
    #>
    param([Parameter(Mandatory)] [System.IO.FileInfo[]] $File, [Parameter(Mandatory)] [string] $Path)
    $blockSize = 32768
    $names = New-Object System.Collections.Generic.List[byte[]]
    foreach ($f in $File) { $names.Add([System.Text.Encoding]::UTF8.GetBytes($f.Name)) }
    $total = [long]0
    foreach ($f in $File) { $total += $f.Length }
    if ($total -gt [int]::MaxValue) { throw 'The help is too large for one cabinet folder.' }
    $blocks = [int][Math]::Ceiling($total / $blockSize)
    $headerSize = 36; $folderSize = 8
    $filesSize = 0
    foreach ($n in $names) { $filesSize += 16 + $n.Length + 1 }
    $dataStart = $headerSize + $folderSize + $filesSize
    $cabSize = $dataStart + $blocks * 8 + $total

    $stream = New-Object System.IO.MemoryStream
    $w = New-Object System.IO.BinaryWriter($stream)
    # CFHEADER
    $w.Write([byte[]][char[]]'MSCF'); $w.Write([uint32]0); $w.Write([uint32]$cabSize); $w.Write([uint32]0)
    $w.Write([uint32]($headerSize + $folderSize)); $w.Write([uint32]0)
    $w.Write([byte]3); $w.Write([byte]1)                      # version 1.3
    $w.Write([uint16]1); $w.Write([uint16]$File.Count)        # folders, files
    $w.Write([uint16]0); $w.Write([uint16]0); $w.Write([uint16]0)   # flags, set ID, cabinet number
    # CFFOLDER: where its data blocks start, how many, no compression
    $w.Write([uint32]$dataStart); $w.Write([uint16]$blocks); $w.Write([uint16]0)
    # CFFILE per file: size, offset in the folder's data, folder 0, DOS date and time, attributes
    $offset = 0
    for ($i = 0; $i -lt $File.Count; $i++) {
        $t = $File[$i].LastWriteTime
        if ($t.Year -lt 1980) { $t = Get-Date -Year 1980 -Month 1 -Day 1 }
        $w.Write([uint32]$File[$i].Length); $w.Write([uint32]$offset); $w.Write([uint16]0)
        $w.Write([uint16]((($t.Year - 1980) -shl 9) -bor ($t.Month -shl 5) -bor $t.Day))
        $w.Write([uint16](($t.Hour -shl 11) -bor ($t.Minute -shl 5) -bor [int][Math]::Floor($t.Second / 2)))
        $utf = [bool](@($names[$i] | Where-Object { $_ -ge 0x80 }).Count)
        $w.Write([uint16]$(if ($utf) { 0x20 -bor 0x80 } else { 0x20 }))   # archive (+ name is UTF-8)
        $w.Write([byte[]]$names[$i]); $w.Write([byte]0)
        $offset += $File[$i].Length
    }
    # CFDATA blocks over the files' bytes, one after another
    $all = New-Object System.IO.MemoryStream
    foreach ($f in $File) { $bytes = [System.IO.File]::ReadAllBytes($f.FullName); $all.Write($bytes, 0, $bytes.Length) }
    $data = $all.ToArray()
    for ($b = 0; $b -lt $blocks; $b++) {
        $start = $b * $blockSize
        $count = [Math]::Min($blockSize, $data.Length - $start)
        # The block's checksum covers its data, then its two size fields.
        $sizes = [byte[]]@(($count -band 0xFF), ($count -shr 8), ($count -band 0xFF), ($count -shr 8))
        $sum = Get-CabinetChecksum -Data $sizes -Offset 0 -Count 4 -Seed (Get-CabinetChecksum -Data $data -Offset $start -Count $count -Seed 0)
        $w.Write([uint32]$sum); $w.Write([uint16]$count); $w.Write([uint16]$count)
        $w.Write($data, $start, $count)
    }
    $w.Flush()
    if ($stream.Length -ne $cabSize) { throw "Cabinet size is $($stream.Length), expected $cabSize." }
    [System.IO.File]::WriteAllBytes($Path, $stream.ToArray())
    $w.Dispose()
}

function New-UpdatableHelp {
    <#
    .SYNOPSIS
    Writes what Update-Help downloads from the manifest's HelpInfoUri: <Module>_<GUID>_HelpInfo.xml
    (the culture and version on offer, and where the content is) and
    <Module>_<GUID>_<culture>_HelpContent.zip and .cab (the MAML and the about topics). PowerShell 7
    takes the .zip (it looks for it before a .cab); Windows PowerShell 5.1 only takes the .cab.
    Returns the files written.
    #>
    param(
        [Parameter(Mandatory)] [string] $ModuleName,
        [Parameter(Mandatory)] [guid] $Guid,
        [Parameter(Mandatory)] [version] $Version,
        # The folder Update-Help reads (the manifest's HelpInfoUri, ending in '/').
        [Parameter(Mandatory)] [string] $HelpInfoUri,
        # The culture folder holding the help (the module folder's en-US).
        [Parameter(Mandatory)] [string] $CultureFolder,
        [Parameter(Mandatory)] [string] $Destination,
        [string] $Culture = 'en-US'
    )
    if ($HelpInfoUri -notmatch '^https://\S+/$') { throw "HelpInfoUri '$HelpInfoUri' must be an https:// folder address ending in '/'." }
    New-Item -ItemType Directory -Force -Path $Destination | Out-Null
    # Update-Help compares four-part versions.
    $v4 = New-Object System.Version($Version.Major, $Version.Minor, [Math]::Max($Version.Build, 0), [Math]::Max($Version.Revision, 0))
    $infoPath = Join-Path $Destination "${ModuleName}_${Guid}_HelpInfo.xml"
    $info = @(
        '<?xml version="1.0" encoding="utf-8"?>'
        '<HelpInfo xmlns="http://schemas.microsoft.com/powershell/help/2010/05">'
        "  <HelpContentURI>$([System.Security.SecurityElement]::Escape($HelpInfoUri))</HelpContentURI>"
        '  <SupportedUICultures>'
        '    <UICulture>'
        "      <UICultureName>$Culture</UICultureName>"
        "      <UICultureVersion>$v4</UICultureVersion>"
        '    </UICulture>'
        '  </SupportedUICultures>'
        '</HelpInfo>'
    ) -join "`n"
    [System.IO.File]::WriteAllText($infoPath, $info + "`n")
    $zipPath = Join-Path $Destination "${ModuleName}_${Guid}_${Culture}_HelpContent.zip"
    if (Test-Path -LiteralPath $zipPath) { Remove-Item -LiteralPath $zipPath -Force }
    Add-Type -AssemblyName System.IO.Compression.FileSystem
    [System.IO.Compression.ZipFile]::CreateFromDirectory($CultureFolder, $zipPath)
    $cabPath = Join-Path $Destination "${ModuleName}_${Guid}_${Culture}_HelpContent.cab"
    Write-HelpCabinet -File @(Get-ChildItem -LiteralPath $CultureFolder -File | Sort-Object Name) -Path $cabPath
    Get-Item -LiteralPath $infoPath, $zipPath, $cabPath
}

function Test-AboutTopic {
    <#
    .SYNOPSIS
    Problems in an about_*.help.txt topic: Get-Help needs the TOPIC header, and lines over 80
    characters wrap badly in a console.
    #>
    param([Parameter(Mandatory)] [string] $Path)
    $f = Split-Path -Leaf $Path
    $lines = @([System.IO.File]::ReadAllLines($Path))
    $name = $f -replace '\.help\.txt$', ''
    if ($f -notmatch '^about_\w+\.help\.txt$') { "${f}: an about topic file must be named about_<Name>.help.txt." }
    if ($lines.Count -lt 4 -or $lines[0].Trim() -ne 'TOPIC' -or $lines[1].Trim() -ne $name) { "${f}: must start with 'TOPIC' then '    $name'." }
    if (-not ($lines | Where-Object { $_.Trim() -eq 'SHORT DESCRIPTION' })) { "${f}: has no SHORT DESCRIPTION." }
    if (-not ($lines | Where-Object { $_.Trim() -eq 'LONG DESCRIPTION' })) { "${f}: has no LONG DESCRIPTION." }
    for ($i = 0; $i -lt $lines.Count; $i++) {
        if ($lines[$i].Length -gt 80) { "${f}: line $($i + 1) is $($lines[$i].Length) characters long (80 at most)." }
    }
}

Export-ModuleMember -Function Read-HelpMarkdown, ConvertTo-HelpMaml, Test-HelpMarkdown, Get-HelpSyntaxText,
    Get-CommandParameterFacts, Get-CommandOutputFacts, Get-HelpOnlineUri, New-UpdatableHelp, Write-HelpCabinet, Compare-HelpWithCommand, Update-HelpMarkdown, Test-AboutTopic
