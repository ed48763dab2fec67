@echo off
rem Runs a Java file with JBang:   jbang step01-tcp-echo\Server.java [arguments]
rem
rem The Windows twin of ./jbang (which explains each step). All you need is a JDK:
rem   1. a JDK 25 or newer is looked for (JAVA_HOME, java on PATH, the usual install
rem      folders) and handed to JBang, which would otherwise download one (no JDK at all:
rem      an error that says what to install);
rem   2. the jbang on your PATH is used if it is 0.108 or newer;
rem   3. otherwise a pinned JBang is downloaded once, checked against its SHA-256 and kept
rem      in %USERPROFILE%\.jbang\workshop (or %JBANG_DIR%\workshop);
rem   4. it is run the way JBang's own jbang.cmd does.
rem Messages go to stderr: stdout belongs to the program being run.
setlocal EnableExtensions DisableDelayedExpansion

set "JBANG_VERSION=0.132.1"
set "JBANG_SHA256=f977075849cff866f45b27997f5671ab8a336a5dd3cf9e702b3479128338f3a7"
set "JBANG_URL=https://repo1.maven.org/maven2/dev/jbang/jbang-cli/%JBANG_VERSION%/jbang-cli-%JBANG_VERSION%-all.jar"
if defined WORKSHOP_JBANG_URL set "JBANG_URL=%WORKSHOP_JBANG_URL%"
set "JAVA_NEEDED=25"
set "INSTALL_HINT=Install a JDK %JAVA_NEEDED% or newer (e.g. https://adoptium.net/) and try again."

rem Set only while an installed jbang is asked for its version (below). If it reaches this
rem script, that jbang is a wrapper around this very script: refuse, or it would loop forever.
if defined WORKSHOP_JBANG_ACTIVE exit /b 1

rem 1. A JDK 25+: JAVA_HOME or the java on PATH if one of them is (your choice comes first),
rem    else the newest in the usual install folders (installers, IntelliJ's downloads).
set "JDK="
set "JDK_MAJOR=0"
if defined JAVA_HOME call :consider "%JAVA_HOME%"
if not defined JDK for /f "delims=" %%J in ('where java.exe 2^>nul') do call :consider "%%~dpJ.."
if not defined JDK for /d %%D in ("%ProgramFiles%\Eclipse Adoptium\jdk-*" ^
    "%LOCALAPPDATA%\Programs\Eclipse Adoptium\jdk-*" "%ProgramFiles%\Java\jdk-*" ^
    "%ProgramFiles%\Microsoft\jdk-*" "%ProgramFiles%\Zulu\zulu-*" ^
    "%ProgramFiles%\Amazon Corretto\jdk*" "%USERPROFILE%\.jdks\*") do call :consider "%%~fD"
if defined JDK (
  set "JAVA_HOME=%JDK%"
  set "PATH=%JDK%\bin;%PATH%"
) else (
  rem so that the JDK JBang downloads is a 25
  set "JBANG_DEFAULT_JAVA_VERSION=%JAVA_NEEDED%"
)

rem 2. An installed jbang, if new enough. It may be this script itself (the repository's
rem    folder is on PATH, or is the current folder, which cmd searches first): skip that one.
set "INSTALLED="
for /f "delims=" %%J in ('where jbang.cmd jbang.exe 2^>nul') do if /i not "%%~dpJ"=="%~dp0" call :try_installed "%%~fJ"
if defined INSTALLED call "%INSTALLED%" %* & goto :end

rem The Java that runs JBang itself: JAVA_HOME's (the JDK 25 if one was found), else PATH's.
set "JAVA_EXE=java.exe"
if defined JAVA_HOME if exist "%JAVA_HOME%\bin\java.exe" set "JAVA_EXE=%JAVA_HOME%\bin\java.exe"
if not "%JAVA_EXE%"=="java.exe" goto :java_found
where java.exe >nul 2>nul
if errorlevel 1 goto :no_java
:java_found

rem 3. The pinned JBang: downloaded next to its final place, checked, then renamed in one
rem    step, so the cache never holds a partial or corrupt file (a damaged one is replaced).
set "CACHE=%USERPROFILE%\.jbang\workshop"
if defined JBANG_DIR set "CACHE=%JBANG_DIR%\workshop"
set "JAR=%CACHE%\jbang-%JBANG_VERSION%.jar"
call :sha256 "%JAR%"
if /i "%SHA%"=="%JBANG_SHA256%" goto :run
if not exist "%CACHE%" mkdir "%CACHE%"
echo Downloading JBang %JBANG_VERSION% (9.5 MB, only this once) to %CACHE% ... 1>&2
set "TMP_JAR=%JAR%.%RANDOM%%RANDOM%.tmp"
rem curl.exe comes with Windows 10 and later; PowerShell with older versions.
where curl.exe >nul 2>nul
if errorlevel 1 goto :download_with_powershell
set "TOOL=curl"
curl.exe -fsL --retry 2 -o "%TMP_JAR%" "%JBANG_URL%"
set "RC=%ERRORLEVEL%"
goto :downloaded
:download_with_powershell
set "TOOL=powershell"
powershell -NoProfile -NonInteractive -Command ^
  "try { $ProgressPreference = 'SilentlyContinue'; [Net.ServicePointManager]::SecurityProtocol = 'Tls12'; Invoke-WebRequest -UseBasicParsing -Uri $env:JBANG_URL -OutFile $env:TMP_JAR -ErrorAction Stop } catch { exit 1 }"
set "RC=%ERRORLEVEL%"
:downloaded
if not "%RC%"=="0" goto :download_failed
call :sha256 "%TMP_JAR%"
if /i not "%SHA%"=="%JBANG_SHA256%" goto :corrupt
move /y "%TMP_JAR%" "%JAR%" >nul
if errorlevel 1 goto :cannot_write

rem 4. JBang's launcher protocol. JBang builds the program, writes the command that runs it
rem    and exits with 255; the command is then run from here, with this console's stdin,
rem    stdout and exit code. Any other exit code comes with JBang's own output (for
rem    --version, --help, errors), which is passed on.
:run
rem JBang's own JVM starts faster with a class-data archive of the classes it loads (written
rem beside the jar by its first run, rewritten when the JDK changes) and the quick JIT alone.
rem Only when a JDK 25 was found above (the archive needs 19 or newer), only if you set no options.
if defined JDK if not defined JBANG_JAVA_OPTIONS set "JBANG_JAVA_OPTIONS=-XX:TieredStopAtLevel=1 -XX:SharedArchiveFile=%CACHE%\jbang-%JBANG_VERSION%.jsa -XX:+AutoCreateSharedArchive"
set "JBANG_RUNTIME_SHELL=cmd"
rem timeout fails when stdin is not a console: that tells JBang not to ask questions
set "JBANG_STDIN_NOTTY=true"
timeout /t 0 >nul 2>nul
if not errorlevel 1 set "JBANG_STDIN_NOTTY=false"
set "OUT=%TEMP%\jbang-%RANDOM%%RANDOM%.tmp"
"%JAVA_EXE%" %JBANG_JAVA_OPTIONS% -classpath "%JAR%" dev.jbang.Main %* > "%OUT%"
set "RC=%ERRORLEVEL%"
if not "%RC%"=="255" goto :print_output
set "COMMAND="
for /f "usebackq delims=" %%L in ("%OUT%") do if not defined COMMAND set "COMMAND=%%L"
del /q "%OUT%"
%COMMAND%
goto :end
:print_output
type "%OUT%"
del /q "%OUT%"
exit /b %RC%

:end
exit /b %ERRORLEVEL%

rem Errors: one line to stderr, exit code 1. (Kept outside ( ) blocks, which a ")" in a
rem message or path would end early.)
:no_java
echo Error: no Java found. %INSTALL_HINT% 1>&2
exit /b 1
:download_failed
if exist "%TMP_JAR%" del /q "%TMP_JAR%"
echo Error: could not download JBang %JBANG_VERSION% from %JBANG_URL% (%TOOL% exit %RC%) 1>&2
exit /b 1
:corrupt
if exist "%TMP_JAR%" del /q "%TMP_JAR%"
echo Error: JBang download is corrupt: sha256 %SHA% expected %JBANG_SHA256% 1>&2
exit /b 1
:cannot_write
if exist "%TMP_JAR%" del /q "%TMP_JAR%"
echo Error: cannot write %JAR% 1>&2
exit /b 1

rem Keeps folder %1 as JDK if it is a JDK (javac included: JBang compiles) of version 25 or
rem newer, and newer than the one kept so far. Its release file says the version.
:consider
set "HOME_DIR=%~f1"
if not exist "%HOME_DIR%\bin\javac.exe" exit /b
if not exist "%HOME_DIR%\release" exit /b
set "VERSION="
for /f "usebackq tokens=1,2 delims==" %%K in ("%HOME_DIR%\release") do if "%%K"=="JAVA_VERSION" set "VERSION=%%~L"
set "MAJOR=0"
for /f "tokens=1 delims=.-+" %%M in ("%VERSION%") do set /a "MAJOR=%%M" 2>nul
if %MAJOR% LSS %JAVA_NEEDED% exit /b
if %MAJOR% LEQ %JDK_MAJOR% exit /b
set "JDK=%HOME_DIR%"
set "JDK_MAJOR=%MAJOR%"
exit /b

rem Keeps jbang %1 as INSTALLED if `jbang --version` (which JBang prints to stderr) says
rem 0.108 or newer, the first JBang to run Java 25 compact source files.
:try_installed
if defined INSTALLED exit /b
set "V_MAJOR=0"
set "V_MINOR=0"
set "WORKSHOP_JBANG_ACTIVE=1"
for /f "tokens=1,2 delims=." %%A in ('call "%~1" --version 2^>^&1 ^<nul ^| findstr /r /b "[0-9][0-9]*\.[0-9]"') do (
  set /a "V_MAJOR=%%A" 2>nul
  set /a "V_MINOR=%%B" 2>nul
)
set "WORKSHOP_JBANG_ACTIVE="
if %V_MAJOR% GTR 0 set "INSTALLED=%~1"
if %V_MINOR% GEQ 108 set "INSTALLED=%~1"
exit /b

rem The SHA-256 of file %1 in SHA, as certutil prints it (older Windows put spaces in it).
:sha256
set "SHA="
if not exist "%~1" exit /b
for /f "skip=1 delims=" %%H in ('certutil -hashfile "%~1" SHA256') do if not defined SHA set "SHA=%%H"
if defined SHA set "SHA=%SHA: =%"
exit /b
